import { normaliseEntryPattern } from '../../../shared/list-entry-checks.js';
import { LIST_KIND_HELP, unicodePattern, type ListKind, type ListName } from '../../../shared/lists.js';

/** Expiries offered for an entry, counted from the moment it is saved. */
export const EXPIRY_CHOICES = [
  { label: 'Never', days: 0 },
  { label: '1 day', days: 1 },
  { label: '7 days', days: 7 },
  { label: '30 days', days: 30 },
  { label: '90 days', days: 90 },
] as const;

export interface CheckedPattern {
  /** The canonical form that will be stored, when the text is a valid entry. */
  pattern?: string;
  error?: string;
  unicode?: string;
}

/** What the add and edit forms say about a typed pattern, with the checks the store applies. */
export function checkPattern(list: ListName, kind: ListKind, text: string): CheckedPattern {
  if (text.trim() === '') return {};
  try {
    const pattern = normaliseEntryPattern(list, kind, text);
    return { pattern, unicode: unicodePattern(kind, pattern) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** The line under a pattern field: why it is refused, how it will be stored, or what the kind means. */
export function PatternMessage({ id, kind, text, checked }: { id: string; kind: ListKind; text: string; checked: CheckedPattern }) {
  return (
    <div id={id} className={checked.error ? 'field-error' : 'field-help'} aria-live="polite">
      {checked.error ??
        (checked.pattern && checked.pattern !== text.trim() ? (
          <>
            Will be stored as <code>{checked.pattern}</code>
            {checked.unicode && <> ({checked.unicode})</>}. {LIST_KIND_HELP[kind]}
          </>
        ) : (
          LIST_KIND_HELP[kind]
        ))}
    </div>
  );
}
