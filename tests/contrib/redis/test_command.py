"""How commands become resources and ``redis.raw_command`` (no server needed)."""
from hypothesis import given
from hypothesis import strategies as st

from ddtrace.contrib.redis._command import ARG_MAX_LENGTH
from ddtrace.contrib.redis._command import CMD_MAX_LENGTH
from ddtrace.contrib.redis._command import PIPELINE_RAW_MAX_LENGTH
from ddtrace.contrib.redis._command import PIPELINE_RESOURCE_MAX_LENGTH
from ddtrace.contrib.redis._command import arg_text
from ddtrace.contrib.redis._command import command_name
from ddtrace.contrib.redis._command import format_command
from ddtrace.contrib.redis._command import format_pipeline
from ddtrace.contrib.redis._command import row_count


class _Queued:
    """A cluster pipeline's queued command (an object with ``args``)."""

    def __init__(self, *args):
        self.args = args


class _BadStr:
    def __str__(self):
        raise RuntimeError("no text")


def test_arg_text():
    assert arg_text("key") == "key"
    assert arg_text(b"key") == "key"
    assert arg_text("é".encode("utf-8")) == "é"
    assert arg_text(b"\xff\xfe") == "\\xff\\xfe"
    assert arg_text(12) == "12"
    assert arg_text(-3) == "-3"
    assert arg_text(3.5) == "3.5"
    assert arg_text(bytearray(b"ab")) == "ab"
    assert arg_text(memoryview(b"ab")) == "ab"
    assert arg_text(_BadStr()) == "?"
    assert arg_text(10 ** 5000) == "?"  # int -> str refuses that many digits


def test_long_arguments_are_cut_at_100_characters():
    assert arg_text("x" * 100) == "x" * 100
    assert arg_text("x" * 101) == "x" * 100 + "..."
    assert arg_text(b"x" * 101) == "x" * 100 + "..."
    # 100 two-byte characters fit; the 101st is cut.
    assert arg_text("é".encode() * 100) == "é" * 100
    assert arg_text("é".encode() * 101) == "é" * 100 + "..."
    assert arg_text("€".encode() * 5000) == "€" * 100 + "..."
    assert arg_text(memoryview(b"y" * 10 ** 6)) == "y" * 100 + "..."


def test_format_command():
    assert format_command(("SET", "k", "v")) == "SET k v"
    assert format_command(("GET", b"k")) == "GET k"
    assert format_command(()) == ""


def test_format_command_bound():
    # 3 + 9 * 100 = 903 characters, then 97 more fill the 1000.
    args = ("DEL",) + ("k" * 100,) * 10 + ("end",)
    raw = format_command(args)
    assert raw.split(" ")[-1] == "k" * 97 + "..."
    assert raw.count(" ") == 10
    # An argument cut at 100 counts with its "..." (103 characters).
    args = ("ECHO",) + ("z" * 300,) * 12
    parts = format_command(args).split(" ")
    assert [len(p) for p in parts] == [4] + [103] * 9 + [69 + 3]
    assert format_command(("SET", "key", "value"), max_length=8) == "SET key va..."


def test_command_name():
    assert command_name(("SET", "k")) == "SET"
    assert command_name(("CLUSTER SLOTS",)) == "CLUSTER"
    assert command_name((b"GET", "k")) == "GET"
    assert command_name(("get",)) == "get"
    assert command_name(()) is None


def test_row_count():
    assert row_count("GET", b"v") == 1
    assert row_count("GET", b"") == 1
    assert row_count("GET", None) == 0
    assert row_count("MGET", [b"a", None, b"b"]) == 2
    assert row_count("HGETALL", {}) == 0
    assert row_count("HGETALL", {b"f": b"v"}) == 1
    assert row_count("LRANGE", []) == 0
    assert row_count("SET", True) is None


def test_format_pipeline():
    stack = [(("SET", "a", 1), {}), (("GET", "a"), {}), (("CONFIG GET", "x"), {})]
    assert format_pipeline(stack) == ("SET\nGET\nCONFIG", "SET a 1\nGET a\nCONFIG GET x", 3)
    queued = [_Queued("INCRBY", "n", 1), _Queued("GET", "n")]
    assert format_pipeline(queued) == ("INCRBY\nGET", "INCRBY n 1\nGET n", 2)
    assert format_pipeline(queued, resource_only_command=False) == ("INCRBY n 1\nGET n", "INCRBY n 1\nGET n", 2)


def test_huge_pipelines_are_bounded():
    stack = [(("SET", "key%d" % i, "v" * 500), {}) for i in range(5000)]
    resource, raw, length = format_pipeline(stack)
    assert length == 5000
    assert len(raw) <= PIPELINE_RAW_MAX_LENGTH + 200
    assert raw.endswith("\n...")
    assert len(resource) <= PIPELINE_RESOURCE_MAX_LENGTH + 3
    assert resource.endswith("\n...")


_args = st.lists(
    st.one_of(
        st.text(max_size=300),
        st.binary(max_size=600),
        st.integers(),
        st.floats(allow_nan=True),
        st.just(None),
    ),
    max_size=40,
)


@given(_args, st.integers(min_value=1, max_value=2000))
def test_raw_command_is_always_bounded(args, max_length):
    raw = format_command(args, max_length)
    assert isinstance(raw, str)
    if args:
        # max_length characters of arguments (the "..." of cut arguments included),
        # the "..." of a cut command, and the separators.
        assert len(raw) <= max_length + 3 + (len(args) - 1)
    else:
        assert raw == ""
    if len(raw) <= max_length and all(len(arg_text(a)) <= ARG_MAX_LENGTH for a in args):
        assert raw == " ".join(arg_text(a) for a in args)


@given(st.binary(max_size=2000))
def test_bytes_never_raise_and_are_cut(data):
    text = arg_text(data)
    assert len(text) <= ARG_MAX_LENGTH + 3
    assert text == _reference_text(data)


def _reference_text(data):
    # What a full decode then a cut gives: the prefix decoding must agree with it.
    full = data.decode("utf-8", "backslashreplace")
    return full if len(full) <= ARG_MAX_LENGTH else full[:ARG_MAX_LENGTH] + "..."


@given(st.text(max_size=500))
def test_text_matches_utf8_round_trip(text):
    assert arg_text(text.encode("utf-8", "surrogatepass")) == _reference_text(text.encode("utf-8", "surrogatepass"))


def test_default_bound_is_datadogs():
    assert CMD_MAX_LENGTH == 1000 and ARG_MAX_LENGTH == 100
