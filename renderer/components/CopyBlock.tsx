import { useRef, useState } from 'react';

/** Text to paste elsewhere (main.cf lines), with a copy button that says whether it worked. */
export function CopyBlock({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed'>();
  const pre = useRef<HTMLPreElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('yes');
    } catch {
      // No clipboard permission: select the text so that Ctrl+C works.
      const range = document.createRange();
      if (pre.current) range.selectNodeContents(pre.current);
      window.getSelection()?.removeAllRanges();
      window.getSelection()?.addRange(range);
      setCopied('failed');
    }
    setTimeout(() => setCopied(undefined), 3000);
  };
  return (
    <div className="copy-block">
      <pre ref={pre} aria-label={label} tabIndex={0}>
        {text}
      </pre>
      <button type="button" className="button button-small copy-button" onClick={copy}>
        {copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Selected: press Ctrl+C' : 'Copy'}
      </button>
    </div>
  );
}
