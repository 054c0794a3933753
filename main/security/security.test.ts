import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  APP_ORIGIN,
  appAssetPath,
  buildContentSecurityPolicy,
  CONTENT_SECURITY_POLICY,
  contentTypeOf,
  isAllowedDownload,
  isAllowedNavigation,
  isAllowedRequest,
  isTrustedSender,
  originOf,
  permissionDecision,
  windowOpenDecision,
  withCspHeader,
} from './index.js';

describe('the app origin', () => {
  it('is a tuple origin even though Node gives custom schemes an opaque one', () => {
    expect(new URL(APP_ENTRY_URL).origin).toBe('null');
    expect(originOf(APP_ENTRY_URL)).toBe('app://greyward');
    expect(originOf('APP://Greyward/x')).toBe('app://greyward');
    expect(APP_ORIGIN).toBe('app://greyward');
  });
});

describe('navigation', () => {
  it.each([
    [APP_ENTRY_URL, true],
    ['app://greyward/', true],
    ['app://greyward/index.html#/triplets?state=waiting', true],
    ['app://greyward/other.html', true],
    ['APP://GREYWARD/index.html', true],
    ['app://greyward.evil.example/index.html', false],
    ['app://greyward:1/index.html', false],
    ['app://evil/index.html', false],
    ['app://greyward@evil/index.html', false],
    ['app://user:pass@greyward/index.html', false],
    ['https://greyward/index.html', false],
    ['https://example.com/', false],
    ['http://127.0.0.1:5173/', false],
    ['file:///etc/passwd', false],
    ['file:///work/main/out/renderer/index.html', false],
    ['javascript:alert(1)', false],
    ['data:text/html,<script>alert(1)</script>', false],
    ['about:blank', false],
    ['chrome://settings', false],
    ['devtools://devtools/bundled/inspector.html', false],
    ['', false],
    ['not a url', false],
    ['app://greyward/' + 'a'.repeat(10_000), false],
  ])('%s → %s', (url, allowed) => {
    expect(isAllowedNavigation(url, APP_ORIGIN)).toBe(allowed);
  });
});

describe('window.open', () => {
  it.each([
    ['https://www.rfc-editor.org/rfc/rfc5321', 'https://www.rfc-editor.org/rfc/rfc5321'],
    ['http://postgrey.schweikert.ch/', 'http://postgrey.schweikert.ch/'],
    ['HTTPS://Example.COM/a b', 'https://example.com/a%20b'],
    ['https://user:secret@example.com/', null],
    ['https://:secret@example.com/', null],
    [APP_ENTRY_URL, null],
    ['file:///etc/passwd', null],
    ['javascript:alert(1)', null],
    ['data:text/html,hi', null],
    ['mailto:postmaster@example.com', null],
    ['smb://server/share', null],
    ['ms-msdt:/id PCWDiagnostic', null],
    ['vscode://file/etc/passwd', null],
    ['about:blank', null],
    ['', null],
    ['https:', null],
  ])('%s → deny, open externally: %s', (url, external) => {
    expect(windowOpenDecision(url)).toEqual({ action: 'deny', openExternally: external });
  });
});

describe('permissions', () => {
  it.each([
    ['clipboard-sanitized-write', APP_ENTRY_URL, true],
    ['clipboard-sanitized-write', 'app://greyward', true],
    ['clipboard-sanitized-write', 'https://example.com/', false],
    ['clipboard-sanitized-write', '', false],
    ['clipboard-read', APP_ENTRY_URL, false],
    ['notifications', APP_ENTRY_URL, false],
    ['media', APP_ENTRY_URL, false],
    ['geolocation', APP_ENTRY_URL, false],
    ['openExternal', APP_ENTRY_URL, false],
    ['fullscreen', APP_ENTRY_URL, false],
    ['fileSystem', APP_ENTRY_URL, false],
    ['hid', APP_ENTRY_URL, false],
    ['serial', APP_ENTRY_URL, false],
    ['usb', APP_ENTRY_URL, false],
    ['unknown', APP_ENTRY_URL, false],
  ])('%s from %s → %s', (permission, url, allowed) => {
    expect(permissionDecision(permission, url, APP_ORIGIN)).toBe(allowed);
  });
});

describe('IPC sender', () => {
  it.each([
    [APP_ENTRY_URL, true],
    ['app://greyward/index.html#/lists', true],
    ['app://greyward.example/index.html', false],
    ['app://other/index.html', false],
    ['file:///work/main/out/renderer/index.html', false],
    ['https://greyward/', false],
    ['http://127.0.0.1:1234/', false],
    ['about:blank', false],
    ['', false],
    [null, false],
    [undefined, false],
  ])('%s → %s', (frameUrl, trusted) => {
    expect(isTrustedSender(frameUrl, APP_ORIGIN)).toBe(trusted);
  });
});

describe('requests from the renderer session', () => {
  it.each([
    ['app://greyward/assets/index-abc.js', true],
    ['devtools://devtools/bundled/inspector.html', true],
    ['data:image/png;base64,iVBORw0KGgo=', true],
    ['blob:app://greyward/6f1c2b1e-6a39-4c58-9a0b-0d3d6c1f3a11', true],
    ['blob:https://example.com/6f1c2b1e-6a39-4c58-9a0b-0d3d6c1f3a11', false],
    ['blob:null/6f1c2b1e', false],
    ['https://fonts.googleapis.com/css', false],
    ['http://127.0.0.1:10023/', false],
    ['ws://127.0.0.1:8080/', false],
    ['file:///etc/passwd', false],
    ['app://evil/x.js', false],
  ])('%s → %s', (url, allowed) => {
    expect(isAllowedRequest(url, APP_ORIGIN)).toBe(allowed);
  });
});

describe('downloads', () => {
  it.each([
    ['blob:app://greyward/6f1c2b1e-6a39-4c58-9a0b-0d3d6c1f3a11', true],
    ['blob:app://evil/6f1c2b1e', false],
    ['blob:https://example.com/6f1c2b1e', false],
    ['https://example.com/greyward-setup.exe', false],
    ['app://greyward/index.html', false],
    ['data:text/plain,hello', false],
    ['file:///etc/passwd', false],
  ])('%s → %s', (url, allowed) => {
    expect(isAllowedDownload(url, APP_ORIGIN)).toBe(allowed);
  });
});

describe('Content Security Policy', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split(';').map((d) => {
      const [name, ...sources] = d.trim().split(/\s+/);
      return [name!, sources] as const;
    }),
  );

  it.each([
    ['default-src', ["'none'"]],
    ['script-src', ["'self'"]],
    ['style-src', ["'self'"]],
    ['connect-src', ["'self'"]],
    ['img-src', ["'self'", 'data:']],
    ['font-src', ["'self'"]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['frame-ancestors', ["'none'"]],
    ['form-action', ["'none'"]],
  ])('%s is %j', (name, sources) => {
    expect(directives.get(name)).toEqual(sources);
  });

  it('allows no inline code, eval, remote host or wildcard anywhere', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|\*|https?:|wss?:|blob:/);
  });

  it('adds the browser host WebSocket origin to connect-src only', () => {
    const csp = buildContentSecurityPolicy(['ws://127.0.0.1:41234']);
    expect(csp).toContain("connect-src 'self' ws://127.0.0.1:41234;");
    expect(csp.match(/ws:/g)).toHaveLength(1);
  });

  it.each([["'unsafe-inline'"], ['ws://127.0.0.1:*'], ['*'], ['ws://a; script-src *']])('refuses %s as an extra connect-src', (source) => {
    expect(() => buildContentSecurityPolicy([source])).toThrow(/not a CSP source/);
  });

  it('replaces any CSP a response carries, whatever its case, and keeps the other headers', () => {
    const headers = withCspHeader({
      'content-security-policy': ["default-src *"],
      'CONTENT-SECURITY-POLICY': "script-src 'unsafe-eval'",
      'Content-Type': 'text/html',
      'Set-Cookie': ['a=1', 'b=2'],
    });
    expect(headers).toEqual({
      'Content-Type': ['text/html'],
      'Set-Cookie': ['a=1', 'b=2'],
      'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
    });
    expect(withCspHeader(undefined)).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });
});

describe('app:// files', () => {
  const root = resolve('/srv/greyward/out/renderer');
  it.each([
    ['app://greyward/', join(root, 'index.html')],
    ['app://greyward', join(root, 'index.html')],
    [APP_ENTRY_URL, join(root, 'index.html')],
    ['app://greyward/assets/index-Bx1.js?v=1#x', join(root, 'assets', 'index-Bx1.js')],
    ['app://greyward/assets/', join(root, 'assets', 'index.html')],
    ['app://greyward/a%20b.css', join(root, 'a b.css')],
    ['app://greyward/../../etc/passwd', join(root, 'etc', 'passwd')],
    ['app://greyward/%2e%2e/%2e%2e/etc/passwd', join(root, 'etc', 'passwd')],
    ['app://greyward/assets/%2F..%2F..%2F..%2Fetc%2Fpasswd', null],
    ['app://greyward/..%2F..%2Fsecret', null],
    ['app://greyward/..%5C..%5Csecret', null],
    ['app://greyward/a%00.js', null],
    ['app://greyward/%E0%A4%A', null],
    ['app://other/index.html', null],
    ['file:///srv/greyward/out/renderer/index.html', null],
    ['https://greyward/index.html', null],
  ])('%s → %s', (url, file) => {
    expect(appAssetPath(url, root, APP_ORIGIN)).toBe(file);
  });

  it.each([
    ['index.html', 'text/html; charset=utf-8'],
    ['assets/index-1.JS', 'text/javascript; charset=utf-8'],
    ['assets/index-1.css', 'text/css; charset=utf-8'],
    ['icon.svg', 'image/svg+xml'],
    ['font.woff2', 'font/woff2'],
    ['unknown.bin', 'application/octet-stream'],
    ['noext', 'application/octet-stream'],
  ])('%s is served as %s', (path, type) => {
    expect(contentTypeOf(path)).toBe(type);
  });
});
