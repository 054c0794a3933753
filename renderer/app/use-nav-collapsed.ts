import { useEffect, useState } from 'react';

const NARROW = '(max-width: 1199px)';
const STORAGE_KEY = 'greyward.navigation';

function stored(): 'collapsed' | 'expanded' | undefined {
  try {
    const value = window.localStorage.getItem(STORAGE_KEY);
    return value === 'collapsed' || value === 'expanded' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the navigation shows as a rail of icons: on a narrow window by default, so that the
 * screens keep their columns; the administrator's own choice wins and is remembered.
 */
export function useNavCollapsed(): [boolean, () => void] {
  const [narrow, setNarrow] = useState(() => window.matchMedia(NARROW).matches);
  const [choice, setChoice] = useState(stored);
  useEffect(() => {
    const media = window.matchMedia(NARROW);
    const follow = () => setNarrow(media.matches);
    media.addEventListener('change', follow);
    return () => media.removeEventListener('change', follow);
  }, []);
  const collapsed = choice ? choice === 'collapsed' : narrow;
  const toggle = () => {
    const next = collapsed ? 'expanded' : 'collapsed';
    setChoice(next);
    try {
      window.localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Without storage the choice lasts until the window closes.
    }
  };
  return [collapsed, toggle];
}
