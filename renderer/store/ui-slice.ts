import type { ConnectionState } from '../api/connection.js';
import type { SliceContext } from './slice.js';

export const SCREENS = ['overview', 'at-risk', 'live', 'trace', 'lists', 'greylist', 'retry', 'policy', 'impact', 'settings'] as const;
export type Screen = (typeof SCREENS)[number];

export interface Notice {
  id: number;
  tone: 'success' | 'error' | 'info';
  text: string;
  details?: string[];
}

export interface UiSlice {
  screen: Screen;
  connection: ConnectionState;
  notices: Notice[];
  navigate(screen: Screen): void;
  setConnection(connection: ConnectionState): void;
  notify(notice: Omit<Notice, 'id'>): void;
  dismiss(id: number): void;
}

const NOTICE_SECONDS = { success: 6, info: 6, error: 20 } as const;
const MAX_NOTICES = 4;

export function isScreen(value: string): value is Screen {
  return (SCREENS as readonly string[]).includes(value);
}

export function createUiSlice({ patch, get, deps }: SliceContext<'ui'>, initialScreen: Screen): UiSlice {
  let nextNotice = 1;
  return {
    screen: initialScreen,
    connection: deps.connection.current(),
    notices: [],
    navigate(screen) {
      patch({ screen });
    },
    setConnection(connection) {
      patch({ connection });
    },
    notify(notice) {
      const id = nextNotice++;
      patch((slice) => ({ notices: [...slice.notices, { ...notice, id }].slice(-MAX_NOTICES) }));
      setTimeout(() => get().ui.dismiss(id), NOTICE_SECONDS[notice.tone] * 1000);
    },
    dismiss(id) {
      patch((slice) => ({ notices: slice.notices.filter((notice) => notice.id !== id) }));
    },
  };
}
