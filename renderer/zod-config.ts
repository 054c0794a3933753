import { z } from 'zod';

// Imported first by main.tsx, before any module builds a schema: the CSP has no 'unsafe-eval',
// and zod's probe for it (new Function) runs when the first object schema is built, where a
// strict CSP reports it as a violation even though zod catches the error.
z.config({ jitless: true });
