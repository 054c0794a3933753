/** On the Policy screen: where to see what a new setting would do before saving it. */
export function ImpactHint() {
  return (
    <p className="muted small impact-hint">
      Before changing the delay, the retry window, client grouping, auto-allow or who is greylisted, see what it would have done to the recorded mail: <a href="#/impact">Impact preview</a>.
    </p>
  );
}
