import { useEffect, useRef, type KeyboardEvent } from 'react';
import { AtRiskNavBadge } from '../screens/at-risk/AtRiskNavBadge.js';
import { screensWithDrafts } from '../store/drafts-slice.js';
import { useApp, useAppStore } from '../store/store.js';
import { SCREENS } from '../store/ui-slice.js';
import { NavIcon } from './nav-icons.js';
import { SCREEN_INFO, screenFromHash, screenHash } from './screens.js';
import { useNavCollapsed } from './use-nav-collapsed.js';

/** Left navigation: links (so the address names the screen), arrow keys, and Alt+1…9, 0; collapses to a rail of icons. */
export function Navigation() {
  const screen = useApp((state) => state.ui.screen);
  const navigate = useApp((state) => state.ui.navigate);
  const unsaved = screensWithDrafts(useApp((state) => state.drafts.settings));
  const store = useAppStore();
  const [collapsed, toggleCollapsed] = useNavCollapsed();
  const links = useRef<Array<HTMLAnchorElement | null>>([]);

  useEffect(() => {
    const follow = () => {
      const target = screenFromHash(window.location.hash);
      if (!target) return;
      const { ui, drafts } = store.getState();
      if (target !== ui.screen && screensWithDrafts(drafts.settings).has(ui.screen)) {
        ui.notify({ tone: 'info', text: `Your unsaved ${SCREEN_INFO[ui.screen].label} changes are kept: come back to ${SCREEN_INFO[ui.screen].label} to save or discard them.` });
      }
      navigate(target);
    };
    const shortcut = (event: globalThis.KeyboardEvent) => {
      if (!event.altKey || event.ctrlKey || event.metaKey) return;
      const target = SCREENS.find((name) => SCREEN_INFO[name].shortcut === event.key);
      if (!target) return;
      event.preventDefault();
      window.location.hash = screenHash(target);
    };
    window.addEventListener('hashchange', follow);
    window.addEventListener('keydown', shortcut);
    return () => {
      window.removeEventListener('hashchange', follow);
      window.removeEventListener('keydown', shortcut);
    };
  }, [navigate, store]);

  const moveFocus = (event: KeyboardEvent<HTMLElement>) => {
    const index = links.current.findIndex((link) => link === document.activeElement);
    if (index === -1) return;
    const next = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: SCREENS.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    links.current[(next + SCREENS.length) % SCREENS.length]?.focus();
  };

  return (
    <nav className={collapsed ? 'nav nav-collapsed' : 'nav'} aria-label="Screens" onKeyDown={moveFocus}>
      <ul>
        {SCREENS.map((name, index) => (
          <li key={name}>
            <a
              ref={(element) => {
                links.current[index] = element;
              }}
              href={screenHash(name)}
              className={name === screen ? 'nav-link active' : 'nav-link'}
              aria-current={name === screen ? 'page' : undefined}
              title={`${SCREEN_INFO[name].label} (Alt+${SCREEN_INFO[name].shortcut})${unsaved.has(name) ? ': unsaved changes' : ''}`}
              aria-description={unsaved.has(name) ? 'unsaved changes' : undefined}
            >
              <NavIcon screen={name} />
              <span className="nav-label">{SCREEN_INFO[name].label}</span>
              {unsaved.has(name) && <span className="nav-unsaved" aria-hidden="true" />}
              {name === 'at-risk' && <AtRiskNavBadge />}
              <kbd aria-hidden="true">{SCREEN_INFO[name].shortcut}</kbd>
            </a>
          </li>
        ))}
      </ul>
      <button type="button" className="nav-toggle" aria-label={collapsed ? 'Expand the navigation' : 'Collapse the navigation'} aria-expanded={!collapsed} title={collapsed ? 'Show the screen names' : 'Show icons only'} onClick={toggleCollapsed}>
        <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
          <path d={collapsed ? 'm9 6 6 6-6 6' : 'm15 6-6 6 6 6'} />
        </svg>
      </button>
    </nav>
  );
}
