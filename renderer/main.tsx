import './zod-config.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectToMain } from './api/index.js';
import { App } from './app/App.js';
import { screenFromHash } from './app/screens.js';
import { createAppStore, StoreContext, wireStore } from './store/store.js';
import './styles/app.css';

const { api, connection } = connectToMain();
const deps = { api, connection, scheduleFrame: (callback: () => void) => void requestAnimationFrame(() => callback()) };
const store = createAppStore(deps, screenFromHash(window.location.hash) ?? 'overview');
wireStore(store, deps);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreContext value={store}>
      <App connection={connection} />
    </StoreContext>
  </StrictMode>,
);
