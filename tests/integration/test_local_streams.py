"""The local stack's stream reads as DynamoDB Streams does (local/moto_patches.py).

moto rolls a cancelled transaction back by putting an earlier copy of the table in its place:
without the patch, a reader sees the cancelled writes as records, and then nothing more ever,
because its iterator keeps the replaced table's stream. The outbox consumer then never hears
of a committed effect (found in the e2e tests: 20 racing pledges, no email).
"""

from __future__ import annotations

from typing import Any

import pytest


def _records(streams: Any, iterator: str) -> tuple[list[str], str]:
    answer = streams.get_records(ShardIterator=iterator, Limit=1000)
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in answer["Records"]]
    return keys, answer["NextShardIterator"]


def test_a_cancelled_transaction_leaves_no_record_and_the_stream_goes_on(atomic_dynamodb):
    import boto3

    from infra.wiring import WIRING

    ddb = boto3.client("dynamodb")
    # botocore derives an account endpoint from the stream ARN, which moto does not serve
    region = ddb.meta.region_name
    streams = boto3.client(
        "dynamodbstreams", endpoint_url=f"https://streams.dynamodb.{region}.amazonaws.com"
    )
    arn = ddb.describe_table(TableName=WIRING.table.name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")[
        "ShardIterator"
    ]
    # Given a transaction cancelled by its second condition (its first put applied, in moto)
    ddb.put_item(TableName=WIRING.table.name, Item={"pk": {"S": "TAKEN"}, "sk": {"S": "X"}})
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": WIRING.table.name,
                        "Item": {"pk": {"S": "CANCELLED"}, "sk": {"S": "X"}},
                    }
                },
                {
                    "Put": {
                        "TableName": WIRING.table.name,
                        "Item": {"pk": {"S": "TAKEN"}, "sk": {"S": "X"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    # When a later write commits
    ddb.put_item(TableName=WIRING.table.name, Item={"pk": {"S": "LATER"}, "sk": {"S": "X"}})
    # Then a reader that was already reading sees the committed writes, and only those
    keys, iterator = _records(streams, iterator)
    assert keys == ["TAKEN", "LATER"]
    ddb.put_item(TableName=WIRING.table.name, Item={"pk": {"S": "AFTER"}, "sk": {"S": "X"}})
    assert _records(streams, iterator)[0] == ["AFTER"]
