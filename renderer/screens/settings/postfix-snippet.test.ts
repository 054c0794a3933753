import { describe, expect, it } from 'vitest';
import { postfixSnippet } from './postfix-snippet.js';

describe('postfixSnippet', () => {
  it('points check_policy_service at the TCP address and fails open with DUNNO', () => {
    const { text } = postfixSnippet({ listen: '127.0.0.1:10023', socket: '', failMode: 'open' });
    expect(text).toContain('check_policy_service inet:127.0.0.1:10023');
    expect(text).toContain('smtpd_policy_service_default_action = DUNNO');
  });

  it('uses 127.0.0.1 for a wildcard address and brackets IPv6', () => {
    expect(postfixSnippet({ listen: '0.0.0.0:10023', socket: '', failMode: 'open' }).text).toContain('inet:127.0.0.1:10023');
    expect(postfixSnippet({ listen: '::1:10023', socket: '', failMode: 'open' }).text).toContain('inet:[::1]:10023');
  });

  it('writes a socket inside the queue directory relative to it', () => {
    const { text } = postfixSnippet({ listen: '', socket: '/var/spool/postfix/greyward/policy', failMode: 'tempfail' });
    expect(text).toContain('check_policy_service unix:greyward/policy');
    expect(text).toContain('smtpd_policy_service_default_action = 451 4.3.5');
  });

  it('follows the running filter when it listens elsewhere than the settings say', () => {
    const { text, notes } = postfixSnippet({ listen: '127.0.0.1:10023', socket: '', failMode: 'open' }, { tcp: '127.0.0.1:10923' });
    expect(text).toContain('inet:127.0.0.1:10923');
    expect(notes[0]).toMatch(/not where the settings say/);
  });

  it('says so when the filter listens nowhere', () => {
    const snippet = postfixSnippet({ listen: '', socket: '', failMode: 'open' });
    expect(snippet.text).toBe('');
    expect(snippet.notes[0]).toMatch(/listens nowhere/);
  });
});
