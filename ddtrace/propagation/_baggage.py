"""The ``baggage`` style: the W3C ``baggage`` header, ``key=value,key2=value2``.

Keys and values are UTF-8, percent-encoded where the W3C grammar does not allow a
character (keys: RFC 7230 tokens; values: printable ASCII except space, ``"`` ``,``
``;`` ``\\``). ``%`` itself is always encoded so decoding is lossless. Properties
(``;prop``) are accepted and dropped.
"""
from ddtrace.propagation._utils import OWS
from ddtrace.propagation._utils import log
from ddtrace.settings import config

BAGGAGE = "baggage"

_HEX = "0123456789abcdefABCDEF"
_TOKEN_CHARS = frozenset("!#$&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_VALUE_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F)) - frozenset('",;\\%')


def _quote_table(safe):
    return {c: "%%%02X" % c for c in range(128) if chr(c) not in safe}


_KEY_TABLE = _quote_table(_TOKEN_CHARS)
_VALUE_TABLE = _quote_table(_VALUE_CHARS)


def _quote(text, table):
    if text.isascii():
        return text.translate(table)
    # Raises UnicodeEncodeError on lone surrogates; the caller drops that item.
    return "".join(chr(b).translate(table) if b < 128 else "%%%02X" % b for b in text.encode("utf-8"))


def _unquote(text):
    if "%" not in text:
        return text
    chunks = text.split("%")
    out = bytearray(chunks[0].encode("ascii"))
    for chunk in chunks[1:]:
        if len(chunk) >= 2 and not chunk[:2].strip(_HEX):
            out.append(int(chunk[:2], 16))
            out += chunk[2:].encode("ascii")
        else:
            # A stray % (not followed by two hex digits) is kept as it is.
            out += b"%" + chunk.encode("ascii")
    return out.decode("utf-8", "replace")


def _limits():
    try:
        items = int(config._baggage_max_items)
    except (AttributeError, TypeError, ValueError):
        items = 64
    try:
        size = int(config._baggage_max_bytes)
    except (AttributeError, TypeError, ValueError):
        size = 8192
    return items, size


def extract(headers):
    """The baggage items of the ``baggage`` header as a dict, or None when it is absent.

    Malformed members are skipped; members past the item or byte limits are dropped.
    """
    raw = headers.get(BAGGAGE)
    if raw is None:
        return None
    max_items, max_bytes = _limits()
    if len(raw) > max_bytes:
        # Bound the work a hostile header can cause: keep whole members within the limit.
        cut = raw.rfind(",", 0, max_bytes + 1)
        log.debug("baggage header of %d characters cut to %d", len(raw), max(cut, 0))
        raw = raw[:cut] if cut > 0 else ""
    items = {}
    for member in raw.split(","):
        member = member.split(";", 1)[0].strip(OWS)
        if not member:
            continue
        key, sep, value = member.partition("=")
        key = key.strip(OWS)
        value = value.strip(OWS)
        if not sep or not key or not key.isascii() or not key.isprintable() or " " in key:
            log.debug("baggage member %r ignored: malformed", member[:128])
            continue
        if not value.isascii() or not value.isprintable():
            log.debug("baggage member %r ignored: raw characters outside printable ASCII", member[:128])
            continue
        if len(items) >= max_items:
            log.debug("baggage: members past the first %d dropped", max_items)
            break
        items[_unquote(key)] = _unquote(value)
    return items


def inject(ctx, headers):
    baggage = ctx._baggage
    if not baggage:
        return
    max_items, max_bytes = _limits()
    members = []
    size = -1  # no comma before the first member
    for key, value in baggage.items():
        if len(members) >= max_items:
            log.debug("baggage: only the first %d items sent", max_items)
            break
        try:
            key = key if type(key) is str else str(key)
            value = value if type(value) is str else str(value)
            member = "%s=%s" % (_quote(key, _KEY_TABLE), _quote(value, _VALUE_TABLE))
        except Exception:
            log.debug("baggage item %r not sent: it cannot be encoded as UTF-8", key)
            continue
        if not key:
            continue
        if size + 1 + len(member) > max_bytes:
            log.debug("baggage: items past %d bytes not sent", max_bytes)
            break
        members.append(member)
        size += 1 + len(member)
    if members:
        headers[BAGGAGE] = ",".join(members)
