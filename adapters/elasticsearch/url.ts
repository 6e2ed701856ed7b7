import type { ApiKeyAuth, ClientOptions } from '@elastic/elasticsearch';

/** Where the client connects and as whom, read from a connection's url. */
export interface ClientTarget {
  /** The url without credentials or parameters: what the client is given as its node. */
  readonly node: string;
  readonly auth?: ClientOptions['auth'];
}

/** The one parameter the url may carry. */
const API_KEY = 'apiKey';

/**
 * Reads `http(s)://[user:password@]host:9200[/path][?apiKey=KEY]`: a user and password
 * are basic auth, `apiKey` an API key, either as Elasticsearch encodes it (base64 of
 * `id:key`, what Kibana shows as "Encoded") or as `id:key`. Neither stays on the node url,
 * so no request line or client error carries it. Returns a problem instead, in words that
 * never include the url or a secret.
 *
 * @example
 * clientTarget('https://search.example.com:443?apiKey=VnVhQ2ZHY0JDZGJrU...')
 * // { node: 'https://search.example.com/', auth: { apiKey: 'VnVhQ2ZHY0JDZGJrU...' } }
 */
export function clientTarget(url: string): ClientTarget | { readonly problem: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { problem: 'has a url the Elasticsearch client cannot parse' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { problem: 'has a url that is not http:// or https://' };
  // Split by hand: URLSearchParams reads `+` as a space, and base64 holds `+`.
  const parameters = parsed.search
    .slice(1)
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf('=');
      return [pair.slice(0, at < 0 ? pair.length : at), at < 0 ? '' : pair.slice(at + 1)] as const;
    });
  // Not named: whatever was written there may be a secret.
  if (parameters.some(([name]) => name !== API_KEY))
    return {
      problem: `has a url parameter other than ${API_KEY}, the only one the elasticsearch backend reads (names are case-sensitive)`,
    };
  let apiKey: string | undefined;
  let username: string;
  let password: string;
  try {
    apiKey = parameters.length > 0 ? decodeURIComponent(parameters.at(-1)?.[1] ?? '') : undefined;
    username = decodeURIComponent(parsed.username);
    password = decodeURIComponent(parsed.password);
  } catch {
    return { problem: 'has a url with a malformed %-escape in its credentials' };
  }
  if (apiKey !== undefined && !apiKey) return { problem: `has an empty ${API_KEY} in its url` };
  if (apiKey !== undefined && username) return { problem: `has both a user and an ${API_KEY} in its url; give one of them` };
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  const node = parsed.toString();
  if (apiKey !== undefined) return { node, auth: { apiKey: keyOf(apiKey) } };
  return username ? { node, auth: { username, password } } : { node };
}

/** `id:key` as the client sends it (it encodes the pair itself); an encoded key as it is. */
function keyOf(apiKey: string): ApiKeyAuth['apiKey'] {
  const colon = apiKey.indexOf(':');
  return colon < 0 ? apiKey : { id: apiKey.slice(0, colon), api_key: apiKey.slice(colon + 1) };
}
