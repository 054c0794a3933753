export { APP_ENTRY_URL, APP_HOST, APP_ORIGIN, APP_SCHEME, isSameOrigin, originOf } from './origin.js';
export { ALLOWED_PERMISSIONS, isAllowedDownload, isAllowedNavigation, isAllowedRequest, isTrustedSender, permissionDecision, windowOpenDecision, type WindowOpenDecision } from './policy.js';
export { buildContentSecurityPolicy, CONTENT_SECURITY_POLICY, withCspHeader, type ResponseHeaders } from './csp.js';
export { appAssetPath, contentTypeOf } from './app-protocol.js';
