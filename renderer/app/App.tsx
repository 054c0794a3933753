import { useEffect, useRef } from 'react';
import type { ConnectionMonitor } from '../api/connection.js';
import { Notices } from '../components/Notices.js';
import { AtRiskBanner } from '../screens/at-risk/AtRiskBanner.js';
import { AtRiskScreen } from '../screens/at-risk/AtRiskScreen.js';
import { GreylistScreen } from '../screens/greylist/GreylistScreen.js';
import { ImpactScreen } from '../screens/impact/ImpactScreen.js';
import { ListsScreen } from '../screens/lists/ListsScreen.js';
import { LiveScreen } from '../screens/live/LiveScreen.js';
import { OverviewScreen } from '../screens/overview/OverviewScreen.js';
import { PolicyScreen } from '../screens/policy/PolicyScreen.js';
import { RetryScreen } from '../screens/retry/RetryScreen.js';
import { SettingsScreen } from '../screens/settings/SettingsScreen.js';
import { TraceScreen } from '../screens/trace/TraceScreen.js';
import { useApp } from '../store/store.js';
import type { Screen } from '../store/ui-slice.js';
import { ConnectionBanner } from './ConnectionBanner.js';
import { Navigation } from './Navigation.js';
import { TopBar } from './TopBar.js';

const SCREEN_COMPONENTS: Record<Screen, () => React.JSX.Element> = {
  overview: OverviewScreen,
  'at-risk': AtRiskScreen,
  live: LiveScreen,
  trace: TraceScreen,
  lists: ListsScreen,
  greylist: GreylistScreen,
  retry: RetryScreen,
  policy: PolicyScreen,
  impact: ImpactScreen,
  settings: SettingsScreen,
};

export function App({ connection }: { connection: ConnectionMonitor }) {
  const screen = useApp((state) => state.ui.screen);
  const ScreenComponent = SCREEN_COMPONENTS[screen];
  const firstScreen = useRef(true);

  useEffect(() => {
    // Keyboard and screen-reader users land on the new screen's heading, not back at the top.
    if (firstScreen.current) {
      firstScreen.current = false;
      return;
    }
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [screen]);

  return (
    <div className="app">
      <a className="skip-link" href="#main" onClick={(event) => {
        event.preventDefault();
        document.querySelector<HTMLElement>('main h1')?.focus();
      }}>
        Skip to content
      </a>
      <TopBar />
      <ConnectionBanner connection={connection} />
      <AtRiskBanner />
      <div className="app-body">
        <Navigation />
        <main className="content" id="main">
          <ScreenComponent />
        </main>
      </div>
      <Notices />
    </div>
  );
}
