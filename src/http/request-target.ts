// The request target of an HTTP request line (RFC 9112 section 3.2), parsed without `new URL`:
// resolved against a base, "//anything" became the authority "anything" and the path "/",
// and "//[" threw (a 500 and an error log any client could cause).

export interface RequestTarget {
  /** as sent, not decoded or normalized: "/metrics" and nothing else is the metrics route */
  path: string;
  query: URLSearchParams;
}

// origin-form: absolute-path [ "?" query ]; a segment is pchars (RFC 3986 section 3.3).
const PCHAR = String.raw`(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})`;
const ORIGIN_FORM = new RegExp(String.raw`^((?:/${PCHAR}*)+)(?:\?((?:${PCHAR}|[/?])*))?$`);
// absolute-form, which a client talking to a proxy sends and a server must accept
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*(.*)$/i;

/** undefined: not a valid origin-form or absolute-form target (answer 400) */
export function parseRequestTarget(raw: string): RequestTarget | undefined {
  const absolute = ABSOLUTE_FORM.exec(raw);
  const rest = absolute ? absolute[1]! : raw;
  const m = ORIGIN_FORM.exec(absolute && !rest.startsWith('/') ? `/${rest}` : rest);
  if (!m) return undefined;
  return { path: m[1]!, query: new URLSearchParams(m[2] ?? '') };
}
