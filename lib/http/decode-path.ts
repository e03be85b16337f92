/**
 * The percent-decoded URL path, as Go's `r.URL.Path` gives Istio's parser. A path that does not decode
 * (a stray `%`, or one already decoded upstream, as API Gateway HTTP APIs do) is used as it came.
 */
export function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
