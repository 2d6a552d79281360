// A SAML 2.0 IdP nobody on this project wrote, and not pysaml2 (our own SP library): samlify
// (npm, version pinned in package.json / package-lock.json), with xml-crypto for signatures.
//   node scripts/interop/saml-idp.mjs PORT SP_METADATA_URL [signed|encrypt] [scope=DOMAIN] [name=DISPLAY NAME]
// With scope= and/or name=, samlify is configured with its own metadata carrying the <Extensions> a
// Shibboleth IdP publishes in a federation: <shibmd:Scope regexp="false">DOMAIN</shibmd:Scope> and an
// <mdui:UIInfo> with that DisplayName (English) — samlify takes an IdP's metadata document as its
// configuration (IdentityProvider({ metadata })); the assertions are still samlify's own.
// Publishes its metadata at /metadata (HTTP-Redirect single sign-on and single logout), demands
// signed AuthnRequests and LogoutRequests, signs what the SP's metadata asks for
// (WantAssertionsSigned), releases eduPerson attributes by their OID names (urn:oid:..., as
// Shibboleth does), NameID persistent; with `encrypt`, assertions are encrypted to the SP's key
// (samlify's defaults: AES-256-CBC, RSA-OAEP). A login page (pick a person), then a page that posts the
// response to the SP's assertion consumer. The signing key is made at start (openssl). The login page
// has a "second factor" box: the assertion's AuthnContextClassRef says how the person signed in
// (https://refeds.org/profile/mfa with it, PasswordProtectedTransport without), whatever the SP's
// RequestedAuthnContext asked for — which the page shows (data-requested-authn-context).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const samlify = require('samlify');
const validator = require('@authenio/samlify-node-xmllint');

samlify.setSchemaValidator(validator);   // every message from the SP is checked against the SAML schemas

const [port, spMetadataUrl, mode = '', ...options] = process.argv.slice(2);
const option = Object.fromEntries(options.map((o) => [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)]));
const base = `http://127.0.0.1:${port}`;
const dir = mkdtempSync(join(tmpdir(), 'samlify-idp-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=samlify interop IdP',
  '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
const privateKey = readFileSync(join(dir, 'key.pem'), 'utf8');
const signingCert = readFileSync(join(dir, 'cert.pem'), 'utf8');

const people = {
  grace: { id: 'p-grace-7f3a', eppn: 'grace@uni.example', givenName: 'Grace', sn: 'Hopper', mail: 'grace@uni.example',
           affiliation: ['member', 'faculty'] },
  sam: { id: 'p-sam-19c2', eppn: 'sam@uni.example', givenName: 'Sam', sn: 'Student', mail: 'sam@uni.example',
         affiliation: ['member', 'student'] },
  // an IdP asserting a principal name of another university's domain (outside the scope its metadata declares)
  mallory: { id: 'p-mallory-2b71', eppn: 'dean@other-university.example', givenName: 'Mallory', sn: 'Outside',
             mail: 'mallory@uni.example', affiliation: ['member', 'faculty'] },
};
const OID = { eppn: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6', givenName: 'urn:oid:2.5.4.42', sn: 'urn:oid:2.5.4.4',
              mail: 'urn:oid:0.9.2342.19200300.100.1.3', affiliation: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.1' };
const URI = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
const attribute = (name, values) => `<saml:Attribute Name="${OID[name]}" NameFormat="${URI}">` +
  values.map((v) => `<saml:AttributeValue xsi:type="xs:string">${escape(v)}</saml:AttributeValue>`).join('') + '</saml:Attribute>';
const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const sessions = new Map();   // our cookie → { person, sessionIndex }

const settings = {
  entityID: `${base}/metadata`,
  privateKey, signingCert,
  wantAuthnRequestsSigned: true,
  wantLogoutRequestSigned: true,
  wantLogoutResponseSigned: true,
  isAssertionEncrypted: mode === 'encrypt',
  nameIDFormat: ['urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'],
  singleSignOnService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: `${base}/sso` }],
  singleLogoutService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: `${base}/slo` }],
};
let idp = samlify.IdentityProvider(settings);
if (option.scope || option.name) {
  const extensions = '<Extensions>' +
    (option.scope ? `<shibmd:Scope xmlns:shibmd="urn:mace:shibboleth:metadata:1.0" regexp="false">${escape(option.scope)}</shibmd:Scope>` : '') +
    (option.name ? `<mdui:UIInfo xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui"><mdui:DisplayName xml:lang="en">${escape(option.name)}` +
                   '</mdui:DisplayName></mdui:UIInfo>' : '') + '</Extensions>';
  // the first child of IDPSSODescriptor (SAML metadata schema), before the KeyDescriptor samlify wrote
  const metadata = idp.getMetadata().replace(/(<IDPSSODescriptor[^>]*>)/, `$1${extensions}`);
  idp = samlify.IdentityProvider({ ...settings, metadata });
}

async function serviceProvider() {
  const response = await fetch(spMetadataUrl);
  if (!response.ok) throw new Error(`SP metadata ${spMetadataUrl}: ${response.status}`);
  // the SP's metadata cannot say that it wants signed logout requests; Syllabus does (docs/sso.md)
  return samlify.ServiceProvider({ metadata: await response.text(), wantLogoutRequestSigned: true });
}

// the octet string an HTTP-Redirect signature covers: the parameters exactly as they were sent
function redirectRequest(url, kind) {
  const raw = url.split('?')[1] || '';
  const parts = Object.fromEntries(raw.split('&').map((p) => [p.split('=')[0], p.slice(p.indexOf('=') + 1)]));
  const octetString = [kind, 'RelayState', 'SigAlg'].filter((k) => k in parts).map((k) => `${k}=${parts[k]}`).join('&');
  const query = Object.fromEntries(new URL(url, base).searchParams);
  return { query, octetString };
}

const PASSWORD = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const REFEDS_MFA = 'https://refeds.org/profile/mfa';

function loginResponseTemplate(person, sessionIndex, classRef) {
  const attributes = ['eppn', 'givenName', 'sn', 'mail'].map((k) => attribute(k, [person[k]])).join('') +
    attribute('affiliation', person.affiliation);
  return samlify.SamlLib.defaultLoginResponseTemplate.context
    .replace('{AuthnStatement}', `<saml:AuthnStatement AuthnInstant="{IssueInstant}" SessionIndex="${sessionIndex}">` +
      `<saml:AuthnContext><saml:AuthnContextClassRef>${classRef}` +
      '</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>')
    .replace('{AttributeStatement}', `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>`);
}

async function respond(sp, request, person, sessionIndex, relayState, classRef = PASSWORD) {
  const now = new Date(); const later = new Date(now.getTime() + 5 * 60 * 1000);
  const id = `_${randomUUID()}`;
  const acs = sp.entityMeta.getAssertionConsumerService('post');
  const values = {
    ID: id, AssertionID: `_${randomUUID()}`, Destination: acs, Audience: sp.entityMeta.getEntityID(),
    SubjectRecipient: acs, Issuer: idp.entityMeta.getEntityID(), IssueInstant: now.toISOString(),
    StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success', ConditionsNotBefore: now.toISOString(),
    ConditionsNotOnOrAfter: later.toISOString(), SubjectConfirmationDataNotOnOrAfter: later.toISOString(),
    NameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', NameID: person.id,
    InResponseTo: request.id,
  };
  const { context } = await idp.createLoginResponse(sp, { extract: { request: { id: request.id } } }, 'post', {}, {
    customTagReplacement: (template) => ({ id, context: samlify.SamlLib.replaceTagsByValue(
      loginResponseTemplate(person, sessionIndex, classRef), values) }),
    relayState,
  });
  const encrypted = Buffer.from(context, 'base64').toString().includes('EncryptedAssertion');
  return page('Signed in', `<form method="post" action="${escape(acs)}" data-assertion="${encrypted ? 'encrypted' : 'plain'}">
    <input type="hidden" name="SAMLResponse" value="${context}">
    <input type="hidden" name="RelayState" value="${escape(relayState || '')}">
    <button type="submit">Continue to the service</button></form>`);
}

const page = (title, body) => `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
const cookie = (req) => (req.headers.cookie || '').split(/; */).map((c) => c.split('=')).find(([k]) => k === 'samlify_idp')?.[1];
const pending = new Map();   // login form id → { request id, relayState }

async function handle(req, res) {
  const url = new URL(req.url, base);
  const send = (status, body, headers = {}) => { res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', ...headers }); res.end(body); };
  if (url.pathname === '/metadata') return send(200, idp.getMetadata(), { 'Content-Type': 'application/samlmetadata+xml' });
  if (url.pathname === '/sso') {
    const sp = await serviceProvider();
    const parsed = await idp.parseLoginRequest(sp, 'redirect', redirectRequest(req.url, 'SAMLRequest'));
    // the class the SP's RequestedAuthnContext asks for, read from the request itself (samlify does not extract it)
    const requested = (/RequestedAuthnContext[^>]*>\s*<(?:\w+:)?AuthnContextClassRef>([^<]*)</.exec(parsed.samlContent) || [])[1] || '';
    const request = { id: parsed.extract.request.id, relayState: url.searchParams.get('RelayState') || '' };
    const session = sessions.get(cookie(req));
    if (session) return send(200, await respond(sp, request, people[session.person], session.sessionIndex, request.relayState,
                                                session.classRef));
    const formId = randomUUID(); pending.set(formId, request);
    return send(200, page('Campus sign-in (samlify)', `<form method="post" action="/login"
        data-requested-authn-context="${escape(requested)}">
      <input type="hidden" name="form" value="${formId}">
      <label><input type="checkbox" name="mfa" value="1"> Second factor</label>
      <label>Person <select name="person">${Object.keys(people).map((p) => `<option>${p}</option>`).join('')}</select></label>
      <button type="submit">Sign in</button></form>`));
  }
  if (url.pathname === '/login' && req.method === 'POST') {
    let body = ''; for await (const chunk of req) body += chunk;
    const form = Object.fromEntries(new URLSearchParams(body));
    const request = pending.get(form.form); pending.delete(form.form);
    if (!request || !people[form.person]) return send(400, page('Unknown sign-in', ''));
    const sid = randomUUID(); const sessionIndex = `_s${randomUUID()}`;
    const classRef = form.mfa ? REFEDS_MFA : PASSWORD;
    sessions.set(sid, { person: form.person, sessionIndex, classRef });
    return send(200, await respond(await serviceProvider(), request, people[form.person], sessionIndex, request.relayState,
                                   classRef),
      { 'Set-Cookie': `samlify_idp=${sid}; Path=/; HttpOnly` });
  }
  if (url.pathname === '/logout-everywhere') {   // IdP-initiated single logout of the current session
    const sp = await serviceProvider();
    const sid = cookie(req); const session = sessions.get(sid);
    if (!session) return send(400, page('No session', ''));
    sessions.delete(sid);
    const { context } = idp.createLogoutRequest(sp, 'redirect', { logoutNameID: people[session.person].id,
                                                                 sessionIndex: session.sessionIndex });
    return send(302, '', { Location: context });
  }
  if (url.pathname === '/slo' && url.searchParams.has('SAMLResponse')) {   // the SP's answer to our logout request
    const sp = await serviceProvider();
    const parsed = await idp.parseLogoutResponse(sp, 'redirect', redirectRequest(req.url, 'SAMLResponse'));
    // samlify refuses a non-Success status and (wantLogoutResponseSigned) an unsigned or badly signed answer
    const status = parsed.extract.response?.id ? 'urn:oasis:names:tc:SAML:2.0:status:Success' : 'unknown';
    return send(200, page('Signed out everywhere', `<p data-status="${escape(status)}">${escape(status)}</p>`));
  }
  if (url.pathname === '/slo') {
    const sp = await serviceProvider();
    const parsed = await idp.parseLogoutRequest(sp, 'redirect', redirectRequest(req.url, 'SAMLRequest'));
    const sid = cookie(req); const session = sessions.get(sid);
    if (!session || people[session.person].id !== parsed.extract.nameID) return send(400, page('Unknown session', ''));
    sessions.delete(sid);
    const { context } = idp.createLogoutResponse(sp, parsed, 'redirect', url.searchParams.get('RelayState') || '');
    return send(302, '', { Location: context });
  }
  return send(404, page('Not found', ''));
}

// the validator compiles libxml2 (WebAssembly) on its first use: 12 s on a loaded machine, which
// would be spent inside the first sign-in; pay it before answering at all
await validator.validate('<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_warm" ' +
  'Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><samlp:Status><samlp:StatusCode ' +
  'Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>');

http.createServer((req, res) => handle(req, res).catch((error) => {
  console.error(error);
  res.writeHead(400, { 'Content-Type': 'text/plain' }); res.end(`samlify refused: ${error.message || error}`);
})).listen(Number(port), '127.0.0.1', () => console.log(`samlify IdP at ${base}/metadata`));
