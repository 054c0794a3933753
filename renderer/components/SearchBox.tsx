import { useEffect, useState } from 'react';

interface Props {
  value: string;
  onChange: (value: string) => void;
  placeholder: string;
  label: string;
  /** Wait this long after the last keystroke, for searches that ask the database. */
  debounceMs?: number;
}

export function SearchBox({ value, onChange, placeholder, label, debounceMs = 0 }: Props) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const timer = setTimeout(() => onChange(text), debounceMs);
    return () => clearTimeout(timer);
  }, [text, value, onChange, debounceMs]);
  return (
    <input
      type="search"
      className="input search"
      aria-label={label}
      placeholder={placeholder}
      value={text}
      onChange={(event) => setText(event.target.value)}
      onKeyDown={(event) => {
        if (event.key === 'Escape' && text) {
          event.stopPropagation();
          setText('');
        }
      }}
    />
  );
}
