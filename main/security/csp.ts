/**
 * The renderer's Content Security Policy.
 *
 * - default-src 'none': everything not listed below is refused.
 * - script-src 'self': the built bundle only; no inline script, no eval.
 * - style-src 'self', without 'unsafe-inline': React's style props and uPlot/react-virtual's
 *   positioning set element.style through the CSSOM, which CSP does not govern; uPlot's stylesheet
 *   is imported and bundled into a CSS file like ours. Only <style> elements and style=""
 *   attributes in markup are refused, and the production renderer has none.
 * - img-src also allows data: (the renderer's own meta policy does, and a data: image runs no
 *   code); fonts come from the bundle only (the renderer builds with assetsInlineLimit 0).
 * - connect-src 'self': the Electron renderer talks to main over IPC and needs no network. The
 *   browser host (the same renderer over a loopback WebSocket) passes its exact ws:// origin
 *   through `extraConnectSrc` instead of opening ws://127.0.0.1:* to every local port.
 * - object-src, base-uri, frame-ancestors, form-action: 'none'.
 */
export function buildContentSecurityPolicy(extraConnectSrc: readonly string[] = []): string {
  for (const source of extraConnectSrc) {
    if (!/^(?:wss?|https?):\/\/[A-Za-z0-9.[\]:-]+(?::\d+)?$/.test(source)) throw new Error(`not a CSP source for connect-src: ${source}`);
  }
  const directives: Array<[string, string[]]> = [
    ['default-src', ["'none'"]],
    ['script-src', ["'self'"]],
    ['style-src', ["'self'"]],
    ['img-src', ["'self'", 'data:']],
    ['font-src', ["'self'"]],
    ['connect-src', ["'self'", ...extraConnectSrc]],
    ['worker-src', ["'none'"]],
    ['frame-src', ["'none'"]],
    ['manifest-src', ["'none'"]],
    ['media-src', ["'none'"]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['frame-ancestors', ["'none'"]],
    ['form-action', ["'none'"]],
  ];
  return directives.map(([name, sources]) => `${name} ${sources.join(' ')}`).join('; ');
}

export const CONTENT_SECURITY_POLICY = buildContentSecurityPolicy();

export type ResponseHeaders = Record<string, string | string[]>;

/**
 * Response headers with our CSP as the only Content-Security-Policy (any the response carried,
 * in whatever letter case, is replaced: a second policy could only add restrictions, but a
 * response should not be able to decide). For session.webRequest.onHeadersReceived.
 */
export function withCspHeader(responseHeaders: ResponseHeaders | undefined, policy: string = CONTENT_SECURITY_POLICY): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(responseHeaders ?? {})) {
    if (name.toLowerCase() === 'content-security-policy') continue;
    headers[name] = Array.isArray(value) ? [...value] : [value];
  }
  headers['Content-Security-Policy'] = [policy];
  return headers;
}
