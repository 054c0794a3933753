import type { Triplet } from '../../shared/contract.js';

export function TripletStateBadge({ state }: { state: Triplet['state'] }) {
  return <span className={`pill pill-${state}`}>{state}</span>;
}
