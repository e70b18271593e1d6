"""The client side of the two-service test, run under ``ddtrace-run``.

Calls the shop service through ``requests`` inside a span it keeps on purpose
(``manual.keep``), so the test can check that the sampling decision travels with the
trace. Prints the ids it saw as JSON.
"""
import json
import sys

import requests

from ddtrace import tracer


def main(url):
    with tracer.trace("shop.checkout", service="shop-client", resource="checkout") as root:
        root.set_tag("manual.keep")
        answer = requests.get(url, timeout=10)
        answer.raise_for_status()
    tracer.flush()
    print(json.dumps({"trace_id": root.trace_id, "root_span_id": root.span_id, "answer": answer.json()}))


if __name__ == "__main__":
    main(sys.argv[1])
