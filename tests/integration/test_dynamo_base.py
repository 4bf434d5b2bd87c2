"""The DynamoDB base against moto: conditional writes and their retries."""

import pytest

from shared.dynamo import ConditionFailed, Table


def test_a_conditional_put_retried_after_a_lost_answer_succeeds_but_a_real_conflict_fails(
    aws_env,
):
    table = Table(aws_env.table_name)
    item = {"pk": "PHOTO#p1", "sk": "PHOTO", "status": "awaiting_upload", "size_bytes": 12}
    # Given a conditional put that went through
    table.put(item, condition="attribute_not_exists(pk)")
    # When the same put arrives again (the SDK retrying after a timeout), Then it is a success
    table.put(dict(item), condition="attribute_not_exists(pk)")
    # But another item under the same key is still refused, with what was there
    with pytest.raises(ConditionFailed) as refused:
        table.put({**item, "status": "processing"}, condition="attribute_not_exists(pk)")
    assert refused.value.item == item
