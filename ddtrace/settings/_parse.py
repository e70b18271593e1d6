"""Parsers for the values of ``DD_*`` variables.

Each parser takes the raw string and returns the typed value, or raises ``ValueError``
with a short description of what was expected; the loader turns that into one warning
and the default. Parsers that can keep part of a list (``DD_TAGS`` with one bad item)
report what they dropped through ``warn`` and keep the rest.
"""
from __future__ import annotations

_TRUE = frozenset(("1", "true", "yes", "on"))
_FALSE = frozenset(("0", "false", "no", "off"))

#: The propagation styles the propagator knows, by their documented names.
PROPAGATION_STYLES = ("datadog", "tracecontext", "b3multi", "b3", "baggage")
# The old name of the single-header B3 style; it contains spaces, so it is replaced
# before the value is split on spaces.
_B3_SINGLE_LEGACY = "b3 single header"

TRACE_API_VERSIONS = ("v0.4", "v0.5")

#: Datadog's documented default for DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP (a
#: verbose-mode, case-insensitive pattern; compile it where it is used).
DEFAULT_QUERY_STRING_REGEXP = (
    r'(?ix)(?:(?:"|%22)?)(?:(?:old[-_]?|new[-_]?)?p(?:ass)?w(?:or)?d(?:1|2)?|pass(?:[-_]?phrase)?|secret'
    r"|(?:api[-_]?|private[-_]?|public[-_]?|access[-_]?|secret[-_]?)key(?:[-_]?id)?|token"
    r"|consumer[-_]?(?:id|key|secret)|sign(?:ed|ature)?|auth(?:entication|orization)?)"
    r'(?:(?:\s|%20)*(?:=|%3D)[^&]+|(?:"|%22)(?:\s|%20)*(?::|%3A)(?:\s|%20)*(?:"|%22)(?:%2[^2]|%[^2]|[^"%])+(?:"|%22))'
    r"|(?: bearer(?:\s|%20)+[a-z0-9._\-]+|token(?::|%3A)[a-z0-9]{13}|gh[opsu]_[0-9a-zA-Z]{36}"
    r"|ey[I-L](?:[\w=-]|%3D)+\.ey[I-L](?:[\w=-]|%3D)+(?:\.(?:[\w.+/=-]|%3D|%2F|%2B)+)?"
    r"|-{5}BEGIN(?:[a-z\s]|%20)+PRIVATE(?:\s|%20)KEY-{5}[^\-]+-{5}END(?:[a-z\s]|%20)+PRIVATE(?:\s|%20)KEY"
    r"(?:-{5})?(?:\n|%0A)?"
    r"|(?:ssh-(?:rsa|dss)|ecdsa-[a-z0-9]+-[a-z0-9]+)(?:\s|%20|%09)+(?:[a-z0-9/.+]|%2F|%5C|%2B){100,}(?:=|%3D)*"
    r"(?:(?:\s|%20|%09)+[a-z0-9._-]+)?)"
)


def parse_bool(raw):
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("expected true/false, 1/0, yes/no or on/off")


def parse_float(raw, low=None, high=None, low_inclusive=True):
    expected = _bounds_text("a number", low, high, low_inclusive)
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError(expected) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(expected)
    if low is not None and (value < low or (value == low and not low_inclusive)):
        raise ValueError(expected)
    if high is not None and value > high:
        raise ValueError(expected)
    return value


def parse_int(raw, low=None, high=None):
    expected = _bounds_text("a whole number", low, high, True)
    try:
        value = int(raw.strip(), 10)
    except ValueError:
        raise ValueError(expected) from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(expected)
    return value


def _bounds_text(what, low, high, low_inclusive):
    if low is None and high is None:
        return "expected %s" % what
    if low is not None and high is not None:
        if not low_inclusive:
            return "expected %s greater than %s and at most %s" % (what, _num(low), _num(high))
        return "expected %s between %s and %s" % (what, _num(low), _num(high))
    if low is not None:
        return "expected %s %s %s" % (what, ">=" if low_inclusive else ">", _num(low))
    return "expected %s <= %s" % (what, _num(high))


def _num(x):
    return "%d" % x if x == int(x) else "%s" % x


def _items(raw):
    """Split a list that may be comma separated or space separated.

    With a comma anywhere, commas separate items (so a value may hold spaces);
    otherwise whitespace does.
    """
    parts = raw.split(",") if "," in raw else raw.split()
    return [p.strip() for p in parts if p.strip()]


def _words(raw):
    """Split a list of names that cannot contain spaces: commas and spaces both separate."""
    return raw.replace(",", " ").split()


def parse_key_values(raw, name, warn, lower_keys=False, allow_bare=False, words=False):
    """``k:v,k2:v2`` or ``k:v k2:v2`` into a dict; a value may itself contain ``:``.

    Items without ``:`` are skipped with one warning, unless ``allow_bare``, in which
    case they map to ``""``. With ``words``, commas and spaces both separate items.
    """
    result = {}
    skipped = []
    for item in _words(raw) if words else _items(raw):
        key, sep, value = item.partition(":")
        key = key.strip()
        if lower_keys:
            key = key.lower()
        if not key or (not sep and not allow_bare):
            skipped.append(item)
            continue
        result[key] = value.strip()
    if skipped:
        warn(
            "%s: ignoring %s (expected key:value items separated by commas or spaces)",
            name,
            ", ".join(repr(s) for s in skipped),
        )
    return result


def parse_status_codes(raw, name, warn):
    """``"400-403,405"`` into a frozenset of the HTTP status codes it names."""
    codes = set()
    skipped = []
    for item in _words(raw.replace(" -", "-").replace("- ", "-")):
        low, sep, high = item.partition("-")
        try:
            a = int(low.strip(), 10)
            b = int(high.strip(), 10) if sep else a
        except ValueError:
            skipped.append(item)
            continue
        if a > b:
            a, b = b, a
        # Three-digit codes only, so a typo such as "500-59999" cannot build a huge set.
        if a < 100 or b > 999:
            skipped.append(item)
            continue
        codes.update(range(a, b + 1))
    if skipped:
        if not codes:
            raise ValueError("expected status codes or ranges such as 400-403,405")
        warn(
            "%s: ignoring %s (expected status codes 100-999 or ranges such as 400-403)",
            name,
            ", ".join(repr(s) for s in skipped),
        )
    return StatusCodes(codes)


class StatusCodes(frozenset):
    """A frozenset of HTTP status codes (``code in codes`` is a hash lookup) that
    shows itself as ranges: ``StatusCodes(range(500, 600))`` -> ``500-599``."""

    __slots__ = ()

    def __repr__(self):
        parts = []
        start = prev = None
        for code in sorted(self):
            if prev is not None and code == prev + 1:
                prev = code
                continue
            if start is not None:
                parts.append("%d" % start if start == prev else "%d-%d" % (start, prev))
            start = prev = code
        if start is not None:
            parts.append("%d" % start if start == prev else "%d-%d" % (start, prev))
        return ",".join(parts)

    __str__ = __repr__


def parse_propagation_styles(raw, name, warn):
    """A list of propagation style names, lowercased, in order, without repeats.

    ``none`` alone means no propagation (an empty list). Unknown names are dropped
    with a warning; a value naming no known style is an error.
    """
    value = raw.strip().lower()
    # Accept the legacy spelling in any spacing ("b3  single header").
    value = " ".join(value.split()).replace(_B3_SINGLE_LEGACY, "b3")
    styles = []
    unknown = []
    saw_none = False
    for item in _words(value):
        if item == "none":
            saw_none = True
        elif item in PROPAGATION_STYLES:
            if item not in styles:
                styles.append(item)
        else:
            unknown.append(item)
    if unknown:
        if not styles and not saw_none:
            raise ValueError("expected a list of %s or none" % ", ".join(PROPAGATION_STYLES))
        warn(
            "%s: ignoring unknown propagation style(s) %s (known: %s)",
            name,
            ", ".join(repr(s) for s in unknown),
            ", ".join(PROPAGATION_STYLES),
        )
    return styles


def parse_trace_api(raw):
    value = raw.strip().lower()
    if not value.startswith("v"):
        value = "v" + value
    if value not in TRACE_API_VERSIONS:
        raise ValueError("expected one of %s" % ", ".join(TRACE_API_VERSIONS))
    return value


def parse_agent_url(raw):
    """Check an agent URL: ``http://host:port``, ``https://...`` or ``unix:///path``."""
    url = raw.strip()
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("http", "https", "unix"):
        raise ValueError("expected http://host:port, https://host:port or unix:///path/to/socket")
    if scheme == "unix":
        if not rest.startswith("/"):
            raise ValueError("expected an absolute socket path, as in unix:///var/run/datadog/apm.socket")
        return "unix://" + rest
    # Credentials (user:pass@) are not used, but do not make the URL invalid.
    netloc = rest.split("/", 1)[0].rpartition("@")[2]
    if not netloc:
        raise ValueError("expected a host, as in http://localhost:8126")
    port = None
    if netloc.startswith("["):
        close = netloc.find("]")
        if close == -1:
            raise ValueError("unterminated [ipv6] host")
        after = netloc[close + 1 :]
        if after:
            if not after.startswith(":"):
                raise ValueError("unexpected text after the [ipv6] host")
            port = after[1:]
    elif ":" in netloc:
        port = netloc.rpartition(":")[2]
    if port is not None:
        try:
            parse_int(port, 1, 65535)
        except ValueError:
            raise ValueError("expected a port between 1 and 65535") from None
    return scheme + "://" + rest.rstrip("/")
