"""A small program traced by ddtrace: a few nested traces, an error, async work.

Run by ``make demo`` under ``ddtrace-run`` with the traces sent to a local test agent.
"""
import asyncio
import random
import time

from ddtrace import tracer


@tracer.wrap(service="demo-shop", resource="price_items")
def price(items):
    total = 0.0
    for item in items:
        with tracer.trace("pricing.lookup", resource=item) as span:
            cost = round(random.uniform(1, 20), 2)
            span.set_tag("item.sku", item)
            span.set_tag("item.cost", cost)
            total += cost
            time.sleep(0.002)
    return total


def charge(total):
    with tracer.trace("payment.charge", service="payments", resource="POST /charge", span_type="http") as span:
        span.set_tag("amount", total)
        if total > 25:
            raise RuntimeError("card declined")


def checkout(user, items):
    with tracer.trace("checkout", service="demo-shop", resource="POST /checkout", span_type="web") as root:
        root.set_tag("user.id", user)
        total = price(items)
        try:
            charge(total)
            root.set_tag("checkout.status", "paid")
        except RuntimeError:
            root.set_tag("checkout.status", "declined")


async def nightly_report():
    async def fetch(region):
        with tracer.trace("report.fetch", resource=region):
            await asyncio.sleep(0.005)

    with tracer.trace("report.build", service="demo-reports", span_type="worker"):
        await asyncio.gather(*(fetch(r) for r in ("eu", "us", "apac")))


def main():
    random.seed(7)
    checkout("u-1", ["book", "pen"])
    checkout("u-2", ["laptop", "bag", "mouse"])
    asyncio.run(nightly_report())
    tracer.flush()


if __name__ == "__main__":
    main()
