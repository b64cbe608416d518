"""The ``pycurl`` adapter: ``pycurl.Curl`` stands in for itself.

``pycurl.Curl`` is a C type whose ``perform`` hands the whole transfer to
libcurl, so there is no Python method below it to wrap. While a cassette is
on, the module attribute ``pycurl.Curl`` is a Python class instead
(``CassetteCurl``): each handle made through it keeps a real ``Curl``, passes
every ``setopt`` on to it unchanged, and notes the options that define the
HTTP exchange (URL, method, body, headers, callbacks, redirects, decoding).
Its ``perform`` then asks the cassette session: a replay calls the header
and write callbacks with the recorded head and body and answers ``getinfo``
from the recording; a live request runs on a duplicate of the real handle
(``duphandle``) whose callbacks capture the raw head and body (content
decoding off, one request per redirect hop), and the result goes to the
user's callbacks exactly as a replay would.

What curl does by itself is done here by the same rules: following
redirects (``FOLLOWLOCATION``, ``MAXREDIRS``, ``POSTREDIR``), content
decoding (``ACCEPT_ENCODING``, ``HTTP_CONTENT_DECODING``), ``FAILONERROR``,
``HEADER`` and ``NOBODY``. An option this adapter cannot honour (multipart
``HTTPPOST``, the cookie engine, ``CONNECT_ONLY``, digest auth...) makes
``perform`` raise ``ConfigurationError`` naming it, rather than record
something curl would not have sent. See docs/http.md ("pycurl") and
``docs/adr/0201-http-adapter-seams.md``.

Not intercepted: a handle made before the cassette was entered, or from a
``Curl`` name imported before entry (``from pycurl import Curl``): those are
real ``Curl`` objects. ``CurlMulti`` (and ``AsyncCurlMulti``) refuse a
cassette handle with a TypeError.
"""

from __future__ import annotations

import base64
import functools
import io
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Final, cast
from urllib.parse import urljoin, urlsplit

import pycurl

from interposition.errors import ConfigurationError
from interposition.http._compression import decode_response
from interposition.http._mapping import Headers, HttpRequest, HttpResponse
from interposition.http._patching import Patch, PatchTarget
from interposition.http._session import CassetteSession, current_session

__all__ = ["PATCH", "CassetteCurl"]

_Write = Callable[[bytes], object]
_Read = Callable[[int], object]

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})


def _option(name: str) -> int | None:
    value = getattr(pycurl, name, None)
    return value if isinstance(value, int) else None


def _options(names: Iterable[str]) -> frozenset[int]:
    return frozenset(v for v in map(_option, names) if v is not None)


#: Options that only shape the connection: passed to the real handle (so
#: live requests honour them) and without effect on a replay.
_TRANSPORT_OPTIONS: Final = _options(
    (
        "TIMEOUT",
        "TIMEOUT_MS",
        "CONNECTTIMEOUT",
        "CONNECTTIMEOUT_MS",
        "LOW_SPEED_LIMIT",
        "LOW_SPEED_TIME",
        "NOSIGNAL",
        "NOPROGRESS",
        "VERBOSE",
        "DEBUGFUNCTION",
        "XFERINFOFUNCTION",
        "PROGRESSFUNCTION",
        "CAINFO",
        "CAPATH",
        "CAINFO_BLOB",
        "SSL_VERIFYPEER",
        "SSL_VERIFYHOST",
        "SSLCERT",
        "SSLCERTTYPE",
        "SSLKEY",
        "SSLKEYTYPE",
        "SSLKEYPASSWD",
        "KEYPASSWD",
        "SSLVERSION",
        "SSL_CIPHER_LIST",
        "SSL_OPTIONS",
        "PINNEDPUBLICKEY",
        "PROXY",
        "PROXYPORT",
        "PROXYTYPE",
        "PROXYUSERPWD",
        "PROXYUSERNAME",
        "PROXYPASSWORD",
        "NOPROXY",
        "HTTPPROXYTUNNEL",
        "PROXY_CAINFO",
        "PROXY_SSL_VERIFYPEER",
        "PROXY_SSL_VERIFYHOST",
        "TCP_NODELAY",
        "TCP_KEEPALIVE",
        "TCP_KEEPIDLE",
        "TCP_KEEPINTVL",
        "DNS_CACHE_TIMEOUT",
        "IPRESOLVE",
        "HTTP_VERSION",
        "MAXCONNECTS",
        "FORBID_REUSE",
        "FRESH_CONNECT",
        "BUFFERSIZE",
        "INTERFACE",
        "SHARE",
        "OPENSOCKETFUNCTION",
        "CLOSESOCKETFUNCTION",
        "SOCKOPTFUNCTION",
        "SEEKFUNCTION",
        "IOCTLFUNCTION",
        "INFILESIZE",
        "INFILESIZE_LARGE",
        "EXPECT_100_TIMEOUT_MS",
        "MAXFILESIZE",
        "MAXFILESIZE_LARGE",
        "UNRESTRICTED_AUTH",
        "AUTOREFERER",
        "PROTOCOLS",
        "REDIR_PROTOCOLS",
        "PROTOCOLS_STR",
        "REDIR_PROTOCOLS_STR",
        "DEFAULT_PROTOCOL",
        "PATH_AS_IS",
        "TRANSFERTEXT",
    )
)

_HTTP_VERSIONS: Final = {
    "HTTP/1.0": _option("CURL_HTTP_VERSION_1_0"),
    "HTTP/1.1": _option("CURL_HTTP_VERSION_1_1"),
    "HTTP/2": _option("CURL_HTTP_VERSION_2_0"),
    "HTTP/3": _option("CURL_HTTP_VERSION_3"),
}


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def _data(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return str(value).encode("ascii")


def _curl_encodings() -> str:
    """What curl sends for ``ACCEPT_ENCODING=""``: every coding it decodes."""
    features = pycurl.version_info()[4]
    names = ["deflate", "gzip"]
    for flag, name in (("VERSION_BROTLI", "br"), ("VERSION_ZSTD", "zstd")):
        bit = _option(flag)
        if bit is not None and features & bit:
            names.append(name)
    return ", ".join(names)


def _option_name(option: int) -> str:
    names = sorted(
        name
        for name in dir(pycurl)
        if name.isupper()
        and getattr(pycurl, name) == option
        and not name.startswith(("E_", "INFO", "VERSION_", "CURL", "M_", "SH_"))
    )
    return " / ".join(names) or f"option {option}"


def _curl_error(code: str, message: str) -> pycurl.error:
    return pycurl.error(getattr(pycurl, code), message)


class _Exchange:
    """One answered hop: the response, and its head lines as curl gives them."""

    __slots__ = ("_head", "method", "response", "url")

    def __init__(self, method: str, url: str, response: HttpResponse) -> None:
        self.method = method
        self.url = url
        self.response = response
        self._head: list[bytes] | None = None

    @property
    def head(self) -> list[bytes]:
        """The status line, each header line and the blank line, as bytes."""
        if self._head is None:
            response = self.response
            status = f"{response.http_version} {response.status} {response.reason}"
            lines = [status.rstrip().encode("latin-1") + b"\r\n"]
            lines += [
                f"{name}: {value}\r\n".encode("latin-1", "replace")
                for name, value in response.headers
            ]
            lines.append(b"\r\n")
            self._head = lines
        return self._head


class _Answer:
    """A transfer answered through the cassette: what ``getinfo`` tells of it."""

    __slots__ = ("elapsed", "hops", "sent")

    def __init__(self, hops: list[_Exchange], elapsed: float, sent: int) -> None:
        self.hops = hops
        self.elapsed = elapsed
        self.sent = sent

    @property
    def last(self) -> _Exchange:
        """The final hop."""
        return self.hops[-1]

    def body_size(self) -> int:
        """Bytes of body received (none for HEAD)."""
        last = self.last
        return 0 if last.method == "HEAD" else len(last.response.body)

    def content_length(self) -> int:
        """The Content-Length received, or -1."""
        length = self.last.response.header("content-length")
        return int(length) if length and length.strip().isdigit() else -1

    def redirect_url(self) -> str | None:
        """Where a redirect that was not followed points."""
        response = self.last.response
        location = response.header("location")
        if location and response.status // 100 == 3:
            return urljoin(self.last.url, location.strip())
        return None

    def speed(self) -> float:
        """Bytes of body per second."""
        return self.body_size() / self.elapsed if self.elapsed > 0 else 0.0


def _getters() -> dict[int, Callable[[_Answer], Any]]:
    by_name: dict[str, Callable[[_Answer], Any]] = {
        "RESPONSE_CODE": lambda a: a.last.response.status,
        "EFFECTIVE_URL": lambda a: a.last.url,
        "EFFECTIVE_METHOD": lambda a: a.last.method,
        "CONTENT_TYPE": lambda a: a.last.response.header("content-type"),
        "REDIRECT_COUNT": lambda a: len(a.hops) - 1,
        "REDIRECT_URL": _Answer.redirect_url,
        "HEADER_SIZE": lambda a: sum(len(line) for h in a.hops for line in h.head),
        "SIZE_DOWNLOAD": lambda a: float(a.body_size()),
        "SIZE_DOWNLOAD_T": _Answer.body_size,
        "SIZE_UPLOAD": lambda a: float(a.sent),
        "SIZE_UPLOAD_T": lambda a: a.sent,
        "CONTENT_LENGTH_DOWNLOAD": lambda a: float(a.content_length()),
        "CONTENT_LENGTH_DOWNLOAD_T": _Answer.content_length,
        "INFO_HTTP_VERSION": lambda a: _HTTP_VERSIONS.get(
            a.last.response.http_version, 0
        ),
        "OS_ERRNO": lambda a: 0,
        "NUM_CONNECTS": lambda a: 0,
        "SPEED_DOWNLOAD": _Answer.speed,
        "SPEED_DOWNLOAD_T": lambda a: int(a.speed()),
    }
    for name in ("TOTAL_TIME", "STARTTRANSFER_TIME"):
        by_name[name] = lambda a: a.elapsed
        by_name[f"{name}_T"] = lambda a: int(a.elapsed * 1e6)
    for name in (
        "NAMELOOKUP_TIME",
        "CONNECT_TIME",
        "APPCONNECT_TIME",
        "PRETRANSFER_TIME",
        "REDIRECT_TIME",
    ):
        by_name[name] = lambda a: 0.0
        by_name[f"{name}_T"] = lambda a: 0
    getters: dict[int, Callable[[_Answer], Any]] = {}
    for name, getter in by_name.items():
        option = _option(name)
        if option is not None:
            getters.setdefault(option, getter)
    return getters


_GETTERS: Final = _getters()


class CassetteCurl:
    """``pycurl.Curl`` while a cassette is on: a real handle, answered by it.

    Every option goes to the real handle; ``perform`` records or replays
    through the cassette session when one handles the URL, and performs the
    real handle otherwise.
    """

    _real_type: ClassVar[type[pycurl.Curl]] = pycurl.Curl

    def __init__(self) -> None:
        self._curl = self._real_type()
        self._clear()

    def _clear(self) -> None:
        self._url: str | None = None
        self._custom: str | None = None
        self._httpreq = "GET"
        self._nobody = False
        self._postfields: bytes | None = None
        self._postfieldsize: int | None = None
        self._read: _Read | None = None
        self._httpheader: list[str] = []
        self._named: dict[str, str] = {}  # USERAGENT, REFERER, COOKIE
        self._username: str | None = None
        self._password: str | None = None
        self._httpauth: int | None = None
        self._accept_encoding: str | None = None
        self._content_decoding = True
        self._write: _Write | None = None
        self._header_write: _Write | None = None
        self._follow = False
        self._maxredirs = -1
        self._postredir = 0
        self._failonerror = False
        self._include_head = False
        self._unsupported: dict[int, str] = {}
        self._answer: _Answer | None = None
        self._error = ""

    # -- options ----------------------------------------------------------------

    def setopt(self, option: int, value: Any, **kwargs: Any) -> None:
        """Set an option on the real handle, and note what it means here."""
        self._curl.setopt(option, value, **kwargs)
        self._note(option, value)

    def setopt_string(self, option: int, value: str) -> None:
        """Set a string option (see ``pycurl.Curl.setopt_string``)."""
        self._curl.setopt_string(option, value)
        self._note(option, value)

    def unsetopt(self, option: int) -> None:
        """Reset an option to its default."""
        self._curl.unsetopt(option)
        self._note(option, None)

    def reset(self) -> None:
        """Reset every option (see ``pycurl.Curl.reset``)."""
        self._curl.reset()
        self._clear()

    def _note(self, option: int, value: Any) -> None:
        handler = _HANDLERS.get(option)
        if handler is not None:
            handler(self, value)
        elif option in _TRANSPORT_OPTIONS:
            pass
        elif value is None:
            self._unsupported.pop(option, None)
        else:
            self._unsupported[option] = _option_name(option)

    def _set_method(self, httpreq: str | None, *, nobody: bool = False) -> None:
        if httpreq is not None:
            self._httpreq = httpreq
        self._nobody = nobody

    # -- the handle -------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # Option and info constants (c.URL), and what is not overridden.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._curl, name)

    def __enter__(self) -> CassetteCurl:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the real handle."""
        self._curl.close()

    @property
    def closed(self) -> bool:
        """Whether the real handle is closed."""
        return self._curl.closed

    def duphandle(self) -> CassetteCurl:
        """A copy of the handle and of its options."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._curl = self._curl.duphandle()
        copy._httpheader = list(self._httpheader)
        copy._named = dict(self._named)
        copy._unsupported = dict(self._unsupported)
        copy._answer = None
        return copy

    def errstr(self) -> str:
        """The message of the last error."""
        return self._error if self._answer is not None else self._curl.errstr()

    def errstr_raw(self) -> bytes:
        """The message of the last error, as bytes."""
        if self._answer is not None:
            return self._error.encode("utf-8")
        return self._curl.errstr_raw()

    def getinfo(self, info: int) -> Any:
        """Information on the last transfer (from the cassette when answered)."""
        answer = self._answer
        if answer is None:
            return self._curl.getinfo(info)
        getter = _GETTERS.get(info)
        if getter is not None:
            return getter(answer)
        answered = ", ".join(sorted(_option_name(i).split(" / ")[0] for i in _GETTERS))
        msg = (
            f"getinfo({_option_name(info)}) is not answered by interposition's "
            f"pycurl adapter after a recorded or replayed transfer; it answers "
            f"{answered}"
        )
        raise ConfigurationError(msg)

    def getinfo_raw(self, info: int) -> Any:
        """Like ``getinfo``, with strings as bytes."""
        if self._answer is None:
            return self._curl.getinfo_raw(info)
        value = self.getinfo(info)
        return value.encode("latin-1") if isinstance(value, str) else value

    # -- transfers --------------------------------------------------------------

    def perform(self) -> None:
        """Perform the transfer: from the cassette, or live (and recorded)."""
        session = self._session()
        if session is None:
            self._answer = None
            self._curl.perform()
            return
        self._perform(session, self._write)

    def perform_rb(self) -> bytes:
        """Perform the transfer and return the body as bytes."""
        session = self._session()
        if session is None:
            self._answer = None
            return self._curl.perform_rb()
        buffer = io.BytesIO()
        self._perform(session, buffer.write)
        return buffer.getvalue()

    def perform_rs(self) -> str:
        """Perform the transfer and return the body decoded (default encoding)."""
        return self.perform_rb().decode()

    def _session(self) -> CassetteSession | None:
        url = self._url
        if url is None or not url[:8].lower().startswith(("http://", "https://")):
            return None
        session = current_session()
        if session is None or not session.handles(url):
            return None
        return session

    def _method(self) -> str:
        if self._custom is not None:
            return self._custom.upper()
        return "HEAD" if self._nobody else self._httpreq

    def _body(self) -> bytes:
        if self._httpreq == "POST" and self._postfields is not None:
            body = self._postfields
            size = self._postfieldsize
            return body[:size] if size is not None and size >= 0 else body
        if self._httpreq in ("POST", "PUT") and self._read is not None:
            return self._read_all(self._read)
        return b""

    @staticmethod
    def _read_all(read: _Read) -> bytes:
        out = bytearray()
        while True:
            piece = read(16384)
            if isinstance(piece, int):
                msg = "Operation was aborted by an application callback"
                raise _curl_error("E_ABORTED_BY_CALLBACK", msg)
            if not piece:
                return bytes(out)
            out += _data(piece)

    def _request_headers(
        self, method: str, httpreq: str, *, same_host: bool
    ) -> Headers:
        derived: list[tuple[str, str]] = []
        if self._username is not None and same_host:
            credentials = f"{self._username}:{self._password or ''}"
            token = base64.b64encode(credentials.encode("latin-1")).decode("ascii")
            derived.append(("Authorization", f"Basic {token}"))
        if "User-Agent" in self._named:
            derived.append(("User-Agent", self._named["User-Agent"]))
        derived.append(("Accept", "*/*"))
        if self._accept_encoding is not None:
            derived.append(
                ("Accept-Encoding", self._accept_encoding or _curl_encodings())
            )
        for name in ("Referer", "Cookie"):
            if name in self._named:
                derived.append((name, self._named[name]))
        custom: list[tuple[str, str]] = []
        removed: set[str] = set()
        for line in self._httpheader:
            name, colon, value = line.partition(":")
            name = name.strip()
            if not colon:
                if name.endswith(";"):
                    custom.append((name[:-1].strip(), ""))
                continue
            value = value.strip()
            if not same_host and name.lower() in ("authorization", "cookie"):
                continue
            if value:
                custom.append((name, value))
            else:
                removed.add(name.lower())
        overridden = {name.lower() for name, _ in custom} | removed
        headers = [(n, v) for n, v in derived if n.lower() not in overridden]
        headers += custom
        if httpreq == "POST" and method != "HEAD" and "content-type" not in overridden:
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        return tuple(headers)

    def _check_supported(self) -> None:
        problems = [f"{name} ({option})" for option, name in self._unsupported.items()]
        basic = getattr(pycurl, "HTTPAUTH_BASIC", 1)
        if self._httpauth not in (None, basic) and self._username is not None:
            problems.append("HTTPAUTH other than HTTPAUTH_BASIC")
        if problems:
            msg = (
                f"interposition's pycurl adapter cannot record or replay a transfer "
                f"with {', '.join(problems)}: it could not tell what curl sends "
                f"or does with it. Leave the option out under the cassette, or "
                f"keep this host out of it (ignore_hosts=...), or the pycurl "
                f"adapter (adapters=[...] without 'pycurl')"
            )
            raise ConfigurationError(msg)

    def _perform(self, session: CassetteSession, write: _Write | None) -> None:
        self._check_supported()
        self._answer = None
        self._error = ""
        started = time.perf_counter()
        url = self._url or ""
        method = self._method()
        httpreq = self._httpreq
        body = self._body() if method != "HEAD" or self._custom else b""
        first_host = ""
        hops: list[_Exchange] = []
        while True:
            same_host = not hops or urlsplit(url).netloc.lower() == first_host
            request = HttpRequest(
                method,
                url,
                self._request_headers(method, httpreq, same_host=same_host),
                body,
            )
            hop = len(hops)

            live = functools.partial(
                self._live,
                url=url,
                method=method,
                httpreq=httpreq,
                body=body,
                hop=hop,
                same_host=same_host,
            )
            exchange = _Exchange(method, url, session.handle(request, live))
            hops.append(exchange)
            response = exchange.response
            location = response.header("location")
            if not (self._follow and response.status in _REDIRECTS and location):
                break
            if 0 <= self._maxredirs < len(hops):
                self._finish(hops, started, body)
                message = f"Maximum ({self._maxredirs}) redirects followed"
                self._error = message
                raise _curl_error("E_TOO_MANY_REDIRECTS", message)
            if not first_host:
                first_host = urlsplit(url).netloc.lower()
            url = urljoin(url, location.strip())
            method, httpreq, body = self._redirected(
                response.status, method, httpreq, body
            )
        self._finish(hops, started, body)
        self._deliver(hops, write)

    def _redirected(
        self, status: int, method: str, httpreq: str, body: bytes
    ) -> tuple[str, str, bytes]:
        """The method and body of the next hop, as curl chooses them."""
        if status in (307, 308) or method == "HEAD":
            return method, httpreq, body
        keep = {301: 1, 302: 2, 303: 4}.get(status, 0)
        if httpreq == "POST" and self._postredir & keep:
            return method, httpreq, body
        if status == 303 or httpreq == "POST":
            # curl keeps a CUSTOMREQUEST method on every hop.
            return (method if self._custom else "GET"), "GET", b""
        return method, httpreq, body

    def _finish(self, hops: list[_Exchange], started: float, sent: bytes) -> None:
        self._answer = _Answer(hops, time.perf_counter() - started, len(sent))

    def _deliver(self, hops: list[_Exchange], write: _Write | None) -> None:
        """Call the header and write callbacks as curl would have."""
        header_write = self._header_write
        for index, hop in enumerate(hops):
            final = index == len(hops) - 1
            for line in hop.head:
                if header_write is not None:
                    self._call(header_write, line)
                if self._include_head:
                    self._call_write(write, line)
            response = hop.response
            if final and self._failonerror and response.status >= 400:
                message = f"The requested URL returned error: {response.status}"
                self._error = message
                raise _curl_error("E_HTTP_RETURNED_ERROR", message)
        last = hops[-1]
        if last.method == "HEAD" or self._nobody:
            return
        for piece in self._body_pieces(last.response):
            self._call_write(write, piece)

    def _body_pieces(self, response: HttpResponse) -> tuple[bytes, ...]:
        encoding = (response.header("content-encoding") or "").strip().lower()
        if (
            self._accept_encoding is not None
            and self._content_decoding
            and encoding not in ("", "identity")
            and response.body
        ):
            decoded = decode_response(response)
            if decoded is response:
                message = (
                    f"Unrecognized content encoding type {encoding!r}: the "
                    f"recorded body could not be decoded"
                )
                self._error = message
                raise _curl_error("E_BAD_CONTENT_ENCODING", message)
            return (decoded.body,)
        return tuple(p for p in (response.chunks or (response.body,)) if p)

    def _call_write(self, write: _Write | None, data: bytes) -> None:
        if write is None:  # curl's default: the body goes to stdout
            stdout = sys.stdout
            if hasattr(stdout, "buffer"):
                stdout.buffer.write(data)
            else:
                stdout.write(data.decode("utf-8", "replace"))
            return
        self._call(write, data)

    def _call(self, callback: _Write, data: bytes) -> None:
        try:
            result = callback(data)
        except Exception as exc:
            message = (
                f"Failure writing output to destination, passed {len(data)} returned 0"
            )
            self._error = message
            raise _curl_error("E_WRITE_ERROR", message) from exc
        if result is None or (type(result) is int and result == len(data)):
            return
        returned = result if type(result) is int else 0
        message = (
            f"Failure writing output to destination, passed {len(data)} "
            f"returned {returned}"
        )
        self._error = message
        raise _curl_error("E_WRITE_ERROR", message)

    # -- live -------------------------------------------------------------------

    def _live(
        self,
        _: HttpRequest,
        *,
        url: str,
        method: str,
        httpreq: str,
        body: bytes,
        hop: int,
        same_host: bool,
    ) -> HttpResponse:
        """Perform one hop on a copy of the real handle; capture it raw."""
        curl = self._curl.duphandle()
        head: list[bytes] = []
        pieces: list[bytes] = []
        times: list[float] = []
        head_done = [0.0]

        def on_header(line: bytes) -> None:
            if line.upper().startswith(b"HTTP/"):
                head.clear()  # 1xx, or a proxy's CONNECT answer, came first
            head.append(line)
            if line in (b"\r\n", b"\n"):
                head_done[0] = time.perf_counter()

        def on_body(data: bytes) -> None:
            pieces.append(data)
            times.append(time.perf_counter())

        try:
            if hop > 0:
                curl.setopt(pycurl.URL, url)
                self._live_method(curl, method, httpreq, body)
                if not same_host:
                    curl.setopt(pycurl.HTTPHEADER, self._headers_for_other_host())
                    for name in ("USERPWD", "USERNAME", "PASSWORD"):
                        option = _option(name)
                        if option is not None:
                            curl.setopt(option, None)
            elif self._read is not None and httpreq in ("POST", "PUT"):
                curl.setopt(pycurl.READFUNCTION, io.BytesIO(body).read)
            curl.setopt(pycurl.FOLLOWLOCATION, 0)
            curl.setopt(pycurl.FAILONERROR, 0)
            curl.setopt(pycurl.HEADER, 0)
            curl.setopt(pycurl.HTTP_CONTENT_DECODING, 0)
            curl.setopt(pycurl.HEADERFUNCTION, on_header)
            curl.setopt(pycurl.WRITEFUNCTION, on_body)
            curl.perform()
        finally:
            curl.close()
        return _parse_live(head, pieces, times, head_done[0])

    def _live_method(
        self, curl: pycurl.Curl, method: str, httpreq: str, body: bytes
    ) -> None:
        if httpreq == "POST" and method != "HEAD":
            curl.setopt(pycurl.POSTFIELDS, body)
        elif httpreq == "PUT":
            curl.setopt(pycurl.UPLOAD, 1)
            curl.setopt(pycurl.READFUNCTION, io.BytesIO(body).read)
        else:
            curl.setopt(pycurl.HTTPGET, 1)
        if method == "HEAD":
            curl.setopt(pycurl.NOBODY, 1)
        if self._custom is not None and method == self._custom.upper():
            curl.setopt(pycurl.CUSTOMREQUEST, self._custom)
        else:
            curl.unsetopt(pycurl.CUSTOMREQUEST)

    def _headers_for_other_host(self) -> list[str]:
        return [
            line
            for line in self._httpheader
            if line.partition(":")[0].strip().lower() not in ("authorization", "cookie")
        ]


def _parse_live(
    head: list[bytes], pieces: list[bytes], times: list[float], head_done: float
) -> HttpResponse:
    status_line = head[0].decode("latin-1").strip() if head else "HTTP/1.1 200"
    version, _, rest = status_line.partition(" ")
    code, _, reason = rest.partition(" ")
    headers: list[tuple[str, str]] = []
    for raw in head[1:]:
        line = raw.decode("latin-1").rstrip("\r\n")
        if not line:
            continue
        if line[:1] in (" ", "\t") and headers:  # obsolete line folding
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
            continue
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    body = b"".join(pieces)
    chunked = any(
        name.lower() == "transfer-encoding" and "chunked" in value.lower()
        for name, value in headers
    )
    chunks: tuple[bytes, ...] = ()
    delays: tuple[float, ...] = ()
    if chunked and len(pieces) > 1:
        chunks = tuple(pieces)
        previous = head_done or (times[0] if times else 0.0)
        measured = []
        for moment in times:
            measured.append(max(0.0, moment - previous))
            previous = moment
        delays = tuple(measured)
    return HttpResponse(
        status=int(code),
        reason=reason.strip(),
        headers=tuple(headers),
        body=body,
        http_version=version.upper() if version.upper() != "HTTP/2.0" else "HTTP/2",
        chunks=chunks,
        chunk_delays=delays,
    )


# -- what each option means ---------------------------------------------------------


def _set_url(curl: CassetteCurl, value: Any) -> None:
    curl._url = None if value is None else _text(value)


def _set_custom(curl: CassetteCurl, value: Any) -> None:
    curl._custom = None if value is None else _text(value)


def _set_post(curl: CassetteCurl, value: Any) -> None:
    curl._set_method("POST" if value else "GET")


def _set_postfields(curl: CassetteCurl, value: Any) -> None:
    curl._postfields = None if value is None else _data(value)
    curl._postfieldsize = None
    if value is not None:
        curl._httpreq = "POST"


def _set_postfieldsize(curl: CassetteCurl, value: Any) -> None:
    curl._postfieldsize = None if value is None else int(value)


def _set_httpget(curl: CassetteCurl, value: Any) -> None:
    if value:
        curl._set_method("GET")


def _set_upload(curl: CassetteCurl, value: Any) -> None:
    curl._set_method("PUT" if value else "GET")


def _set_nobody(curl: CassetteCurl, value: Any) -> None:
    curl._set_method(None, nobody=bool(value))


def _set_read(curl: CassetteCurl, value: Any) -> None:
    curl._read = value


def _set_readdata(curl: CassetteCurl, value: Any) -> None:
    curl._read = None if value is None else value.read


def _set_write(curl: CassetteCurl, value: Any) -> None:
    curl._write = value


def _set_writedata(curl: CassetteCurl, value: Any) -> None:
    curl._write = None if value is None else value.write


def _set_header_write(curl: CassetteCurl, value: Any) -> None:
    curl._header_write = value


def _set_header_data(curl: CassetteCurl, value: Any) -> None:
    curl._header_write = None if value is None else value.write


def _set_httpheader(curl: CassetteCurl, value: Any) -> None:
    curl._httpheader = [] if value is None else [_text(line) for line in value]


def _named(header: str) -> Callable[[CassetteCurl, Any], None]:
    def set_named(curl: CassetteCurl, value: Any) -> None:
        if value is None:
            curl._named.pop(header, None)
        else:
            curl._named[header] = _text(value)

    return set_named


def _set_userpwd(curl: CassetteCurl, value: Any) -> None:
    if value is None:
        curl._username = curl._password = None
        return
    user, _, password = _text(value).partition(":")
    curl._username, curl._password = user, password


def _set_username(curl: CassetteCurl, value: Any) -> None:
    curl._username = None if value is None else _text(value)


def _set_password(curl: CassetteCurl, value: Any) -> None:
    curl._password = None if value is None else _text(value)


def _set_httpauth(curl: CassetteCurl, value: Any) -> None:
    curl._httpauth = None if value is None else int(value)


def _set_accept_encoding(curl: CassetteCurl, value: Any) -> None:
    curl._accept_encoding = None if value is None else _text(value)


def _set_content_decoding(curl: CassetteCurl, value: Any) -> None:
    curl._content_decoding = value is None or bool(value)


def _set_follow(curl: CassetteCurl, value: Any) -> None:
    curl._follow = bool(value)


def _set_maxredirs(curl: CassetteCurl, value: Any) -> None:
    curl._maxredirs = -1 if value is None else int(value)


def _set_postredir(curl: CassetteCurl, value: Any) -> None:
    curl._postredir = 0 if value is None else int(value)


def _set_failonerror(curl: CassetteCurl, value: Any) -> None:
    curl._failonerror = bool(value)


def _set_header(curl: CassetteCurl, value: Any) -> None:
    curl._include_head = bool(value)


def _handlers() -> dict[int, Callable[[CassetteCurl, Any], None]]:
    by_name: dict[str, Callable[[CassetteCurl, Any], None]] = {
        "URL": _set_url,
        "CUSTOMREQUEST": _set_custom,
        "POST": _set_post,
        "POSTFIELDS": _set_postfields,
        "COPYPOSTFIELDS": _set_postfields,
        "POSTFIELDSIZE": _set_postfieldsize,
        "POSTFIELDSIZE_LARGE": _set_postfieldsize,
        "HTTPGET": _set_httpget,
        "UPLOAD": _set_upload,
        "PUT": _set_upload,
        "NOBODY": _set_nobody,
        "READFUNCTION": _set_read,
        "READDATA": _set_readdata,
        "WRITEFUNCTION": _set_write,
        "WRITEDATA": _set_writedata,
        "HEADERFUNCTION": _set_header_write,
        "WRITEHEADER": _set_header_data,
        "HTTPHEADER": _set_httpheader,
        "USERAGENT": _named("User-Agent"),
        "REFERER": _named("Referer"),
        "COOKIE": _named("Cookie"),
        "USERPWD": _set_userpwd,
        "USERNAME": _set_username,
        "PASSWORD": _set_password,
        "HTTPAUTH": _set_httpauth,
        "ACCEPT_ENCODING": _set_accept_encoding,
        "HTTP_CONTENT_DECODING": _set_content_decoding,
        "FOLLOWLOCATION": _set_follow,
        "MAXREDIRS": _set_maxredirs,
        "POSTREDIR": _set_postredir,
        "FAILONERROR": _set_failonerror,
        "HEADER": _set_header,
    }
    handlers: dict[int, Callable[[CassetteCurl, Any], None]] = {}
    for name, handler in by_name.items():
        option = _option(name)
        if option is not None:
            handlers.setdefault(option, handler)
    return handlers


_HANDLERS: Final = _handlers()


def _cassette_curl(original: type[pycurl.Curl]) -> type[CassetteCurl]:
    """The class that stands for ``pycurl.Curl``, over the original type."""
    return cast(
        "type[CassetteCurl]",
        type(
            "Curl",
            (CassetteCurl,),
            {"_real_type": original, "__module__": CassetteCurl.__module__},
        ),
    )


def _targets() -> list[PatchTarget]:
    return [(pycurl, "Curl", _cassette_curl)]


#: The pycurl patch (see interposition.http._patching).
PATCH = Patch("pycurl", _targets)
