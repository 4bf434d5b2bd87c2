"""`python -m local`: run the whole backend locally until Ctrl-C (what `make run` does)."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

import functions  # noqa: F401 - first, as on Lambda: its __init__ defers eager packages
from local.stack import LocalStack


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    aws_port = int(os.environ.get("AWS_PORT", str(port + 1 if port else 0)))
    overrides = {
        key: os.environ[key]
        for key in (
            "EVENT_START",
            "EVENT_END",
            "EVENT_TZ",
            "WINNERS_PER_DAY",
            "WRITES_PER_IP_PER_HOUR",
            "UPLOADS_PER_EMAIL_PER_DAY",
            "PRESCREEN",
            "REPORTS_PER_IP_PER_HOUR",
        )
        if key in os.environ
    }
    stack = LocalStack(api_port=port, aws_port=aws_port, overrides=overrides)
    if "LOCAL_STATE_DIR" in os.environ:  # tests run their own stack beside a developer's
        stack.state_dir = Path(os.environ["LOCAL_STATE_DIR"])
    info = stack.start()
    print(
        "\n#TECHOGNITION local stack is up\n"
        f"  Site:        {info['api_url']}/  (organiser console: {info['api_url']}/admin.html)\n"
        f"  API:         {info['api_url']}  (try {info['api_url']}/health)\n"
        f"  AWS (moto):  {info['aws_endpoint_url']}  (sent emails: /moto-api/data.json)\n"
        f"  Event:       {info['event_start']} to {info['event_end']}\n"
        f"  Organiser:   {info['organiser']['username']} / {info['organiser']['password']}\n"
        f"  Member:      {info['member']['username']} / {info['member']['password']}\n"
        f"  Authenticator app key of both (TOTP, MFA is required): "
        f"{info['organiser']['totp_secret']}\n"
        f"  Stack file:  {stack.state_dir / 'stack.json'}\n"
        "Ctrl-C stops it.",
        flush=True,
    )
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    print("stopping...", flush=True)
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
