/** On the Policy screen: where to see what a new delay or retry window would do before saving it. */
export function ImpactHint() {
  return (
    <p className="muted small impact-hint">
      Before changing the delay or the retry window, see what it would have done to the recorded mail: <a href="#/impact">Impact preview</a>.
    </p>
  );
}
