// The keys of the seeded traffic, drawn from one random sequence: sender domains, senders (raw,
// and keyed as the filter keys them), local recipients, client networks, and the triplets with
// their first-seen times and, for the passed ones, how long they took to pass. See seed-triplets.mjs.

export function randomTools(rng) {
  const randInt = (n) => Math.floor(rng() * n);
  const hex = (digits) => {
    let s = '';
    for (let i = 0; i < digits; i++) s += '0123456789abcdef'[randInt(16)];
    return s;
  };
  return {
    randInt,
    between: (lo, hi) => lo + randInt(hi - lo + 1),
    pick: (array) => array[randInt(array.length)],
    /** Index in [0, n) favouring small indices: a few big senders and networks, a long tail. */
    skewed: (n, power) => Math.min(n - 1, Math.floor(n * rng() ** power)),
    hex,
  };
}

/** `mailOf` and `clientGroup` are Greyward's own (engine.js, net.js), so that keys are the filter's. */
export function generateTriplets({ count: COUNT, rng, settings, now, span, waitingSpan, mailOf, clientGroup }) {
  const { randInt, between, pick, skewed, hex } = randomTools(rng);
  const DAY = 86_400;
  const delay = settings.delay;

  // ---- pools ---------------------------------------------------------------
  const FIRST = ['james', 'mary', 'john', 'linda', 'peter', 'anna', 'lukas', 'sophie', 'marc', 'julia', 'tom', 'eva', 'paul', 'nina',
    'david', 'sara', 'mike', 'laura', 'chris', 'emma', 'jan', 'lea', 'ali', 'maria', 'ivan', 'olga', 'wei', 'yuki', 'raj', 'ines'];
  const LAST = ['smith', 'jones', 'muller', 'schmidt', 'martin', 'bernard', 'rossi', 'garcia', 'novak', 'kowalski', 'nielsen', 'silva',
    'dubois', 'weber', 'meyer', 'wagner', 'becker', 'brown', 'taylor', 'wilson', 'evans', 'walker', 'young', 'king', 'wright'];
  const ROLE = ['info', 'noreply', 'no-reply', 'newsletter', 'support', 'billing', 'invoice', 'notifications', 'alerts', 'sales',
    'contact', 'office', 'hr', 'jobs', 'orders', 'shipping', 'service', 'news', 'marketing', 'donotreply', 'postmaster', 'admin'];
  const SYL = ['ka', 'lo', 'mi', 'ter', 'net', 'sol', 'var', 'bri', 'do', 'gen', 'tra', 'ex', 'co', 'lux', 'pra', 'vin', 'zen', 'ro',
    'ma', 'tel', 'fin', 'nor', 'sta', 'qu', 'bel', 'an', 'di', 'mon', 'pe', 'ri'];
  const TLD = ['com', 'com', 'com', 'net', 'org', 'de', 'fr', 'co.uk', 'nl', 'it', 'es', 'io', 'ch', 'at', 'se', 'pl', 'eu', 'info'];
  const MX_PREFIX = ['mail', 'mx', 'smtp', 'out', 'mta', 'relay', 'o', 'mail-out', 'smtp-out', 'bounce'];

  // Sender domains (also used for client host names).
  const domainCount = Math.max(50, Math.round(COUNT / 20));
  const domains = new Set();
  while (domains.size < domainCount) {
    let word = '';
    for (let n = between(2, 4); n > 0; n--) word += pick(SYL);
    if (rng() < 0.2) word += between(1, 99);
    domains.add(`${word}.${pick(TLD)}`);
  }
  const domainList = [...domains];
  domains.clear();

  // Senders: raw envelope sender as smtpd sends it, and the key the filter stores (distinct keys only).
  const senderCount = Math.max(100, Math.round(COUNT * 0.4));
  const senderRaw = [];
  const senderKey = [];
  {
    const seen = new Set();
    for (let tries = 0; senderKey.length < senderCount && tries < senderCount * 20; tries++) {
      const domain = domainList[skewed(domainList.length, 2)];
      const r = rng();
      let raw;
      if (r < 0.02) raw = '';
      else if (r < 0.5) raw = `${pick(FIRST)}.${pick(LAST)}@${domain}`;
      else if (r < 0.6) raw = `${pick(FIRST)[0]}${pick(LAST)}${rng() < 0.3 ? between(1, 99) : ''}@${domain}`;
      else if (r < 0.8) raw = `${pick(ROLE)}@${rng() < 0.3 ? pick(['mail.', 'news.', 'e.', 'em.', 'notify.']) : ''}${domain}`;
      else if (r < 0.87) raw = `bounces+${hex(8)}-${between(1, 99999)}@lists.${domain}`;
      else if (r < 0.93) raw = `prvs=${between(1, 9)}${hex(9)}=${pick(ROLE)}@${domain}`;
      else if (r < 0.97) raw = `bounce-${between(100, 999999)}-${between(1, 9999999)}@${pick(['mailer.', 'bounce.', 'mta.'])}${domain}`;
      else raw = `SRS0=${hex(4)}=${pick(['AB', 'CD', 'XY', 'QR'])}=${pick(domainList)}=${pick(FIRST)}@forward.${domain}`;
      const key = mailOf({ sender: raw, recipient: '' }, settings).sender;
      if (seen.has(key)) continue;
      seen.add(key);
      senderRaw.push(raw);
      senderKey.push(key);
    }
  }

  // Local recipients of the domains Postfix receives for.
  const recipientCount = Math.max(20, Math.min(20_000, Math.round(COUNT / 100)));
  const LOCAL_DOMAINS = ['example.org', 'mail.example.net', 'corp.example.com', 'example-shop.example', 'lists.example.org'];
  const recipients = [];
  {
    const seen = new Set();
    while (recipients.length < recipientCount) {
      const r = rng();
      const local = r < 0.7 ? `${pick(FIRST)}.${pick(LAST)}${rng() < 0.2 ? between(2, 9) : ''}` : r < 0.9 ? `${pick(FIRST)[0]}${pick(LAST)}` : pick(ROLE);
      const address = `${local}@${LOCAL_DOMAINS[skewed(LOCAL_DOMAINS.length, 1.5)]}`;
      if (!seen.has(address)) seen.add(address), recipients.push(address);
    }
  }

  // Client networks, outside the address space the benchmark's load generator draws from.
  const groupCount = Math.max(100, Math.round(COUNT / 4));
  const V4_SPACE = [
    // [first octet, allowed second octets]
    ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((a) => [a, () => randInt(256)]),
    [100, () => (rng() < 0.25 ? randInt(64) : between(128, 255))],
    [169, () => randInt(254)],
    [172, () => (rng() < 0.06 ? randInt(16) : between(32, 255))],
    [192, () => { for (;;) { const b = randInt(256); if (b !== 168 && b !== 0) return b; } }],
  ];
  const groupName = []; // client_group text
  const groupBase = []; // address without the host part
  const groupIsV6 = new Uint8Array(groupCount);
  const groupHost = []; // provider domain for client_name, '' for no reverse DNS
  const groupMx = [];
  {
    const seen = new Set();
    while (groupName.length < groupCount) {
      const v6 = rng() < 0.12;
      let base, sample;
      if (v6) {
        base = `2${pick(['a00', 'a01', 'a02', '001', '604', '607', '803'])}:${hex(4)}:${hex(4)}:${hex(3)}:`;
        sample = `${base}:${hex(3)}`;
      } else {
        const [a, second] = pick(V4_SPACE);
        base = `${a}.${second()}.${randInt(256)}.`;
        sample = `${base}${between(1, 254)}`;
      }
      const name = clientGroup(sample, settings.clientPrefixV4, settings.clientPrefixV6);
      if (seen.has(name)) continue;
      seen.add(name);
      groupIsV6[groupName.length] = v6 ? 1 : 0;
      groupName.push(name);
      groupBase.push(base);
      groupHost.push(rng() < 0.1 ? '' : domainList[skewed(domainList.length, 2)]);
      groupMx.push(pick(MX_PREFIX));
    }
  }

  // ---- triplet keys and first-seen times ---------------------------------------
  const tGroup = new Uint32Array(COUNT);
  const tSender = new Uint32Array(COUNT);
  const tRecipient = new Uint32Array(COUNT);
  const tHost = new Uint16Array(COUNT);
  const tPassed = new Uint8Array(COUNT);
  const tElapsed = new Uint32Array(COUNT); // first_seen to passed_at, for passed triplets
  const tFirst = new Uint32Array(COUNT);
  {
    const keyOf = (g, s, r) => (g * senderCount + s) * recipientCount + r;
    if (!Number.isSafeInteger(keyOf(groupCount, senderCount, recipientCount))) throw new Error('COUNT too large for the key encoding');
    const taken = new Set();
    for (let i = 0; i < COUNT; i++) {
      let g, s, r, key;
      do {
        g = skewed(groupCount, 2.5);
        s = skewed(senderKey.length, 1.6);
        r = skewed(recipientCount, 1.4);
        key = keyOf(g, s, r);
      } while (taken.has(key));
      taken.add(key);
      tGroup[i] = g;
      tSender[i] = s;
      tRecipient[i] = r;
      tHost[i] = between(1, groupIsV6[g] ? 0xffff : 254);
      if (rng() < 0.6) {
        tPassed[i] = 1;
        // Postfix retries after 5 minutes, then backs off; most pass within the hour.
        const u = rng();
        let e =
          u < 0.5 ? delay + between(1, 600)
          : u < 0.8 ? delay + between(600, 3600)
          : u < 0.95 ? between(3600, 6 * 3600)
          : between(6 * 3600, 2 * DAY);
        e = Math.max(delay + 1, Math.min(e, settings.retryWindow));
        tElapsed[i] = e;
        tFirst[i] = now - span + randInt(Math.max(1, span - e));
      } else {
        tFirst[i] = now - waitingSpan + randInt(waitingSpan);
      }
    }
  }
  return {
    senderRaw, senderKey, recipients, groupName, groupBase, groupIsV6, groupHost, groupMx,
    tGroup, tSender, tRecipient, tHost, tPassed, tElapsed, tFirst,
    describe: `${COUNT} keys over ${groupCount} client networks, ${senderKey.length} senders, ${recipientCount} recipients`,
  };
}
