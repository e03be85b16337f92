const FORM = '; desired format: https://host[/path]';

/**
 * What the API server would say about `webhooks[].clientConfig.url` (ValidateWebhookURL in
 * k8s.io/apiserver, with https required as for admission webhooks): the same rules and wording, all of
 * them at once. Empty when the URL is acceptable.
 */
export function webhookUrlProblems(url: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    return [`url must be a valid URL: ${(err as Error).message}${FORM}`];
  }
  // WHATWG URL repairs what Go's url.Parse keeps: `https:///x` gets a host, `https://@host` loses its
  // empty user info. The authority is read from the text, as the API server sees it.
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1];
  const problems: string[] = [];
  if (u.protocol !== 'https:') {
    problems.push(`'https' is the only allowed URL scheme, not '${u.protocol.slice(0, -1)}'${FORM}`);
  }
  if (authority === undefined || authority.slice(authority.lastIndexOf('@') + 1) === '') {
    problems.push(`host must be specified${FORM}`);
  }
  if (authority?.includes('@')) problems.push('user information is not permitted in the URL');
  if (u.hash !== '') problems.push('fragments are not permitted in the URL');
  if (u.search !== '') problems.push('query parameters are not permitted in the URL');
  return problems;
}
