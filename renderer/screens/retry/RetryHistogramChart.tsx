import { useLayoutEffect, useRef, useState } from 'react';
import type { RetryHistogram } from '../../../shared/contract.js';
import { formatDuration } from '../../../shared/duration.js';
import { counted } from '../../../shared/plural.js';
import { formatCount } from '../../format/time.js';
import { barsOf, countAxis, delayPosition } from './histogram-geometry.js';

const HEIGHT = 250;
const MARGIN = { top: 26, right: 12, bottom: 40, left: 52 };

/** "5s", "2m", "4h", "1d": the short form for axis edges. */
function shortEdge(seconds: number): string {
  return seconds === 0 ? '0' : formatDuration(seconds);
}

/** Retry intervals per bucket as SVG bars (attributes only: nothing the strict CSP refuses), the delay marked. */
export function RetryHistogramChart({ histogram, label }: { histogram: RetryHistogram; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  useLayoutEffect(() => {
    const element = box.current;
    if (!element) return;
    setWidth(element.clientWidth || 800);
    const observer = new ResizeObserver(() => setWidth(element.clientWidth || 800));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const bars = barsOf(histogram);
  const axis = countAxis(Math.max(0, ...bars.map((b) => b.count)));
  const plotWidth = Math.max(200, width - MARGIN.left - MARGIN.right);
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const slot = plotWidth / bars.length;
  const y = (count: number) => MARGIN.top + plotHeight - (count / axis.top) * plotHeight;
  const delayX = MARGIN.left + delayPosition(histogram.buckets, histogram.delay) * slot;
  // Label every edge where there is room, else every other one.
  const edgeEvery = slot < 34 ? 2 : 1;

  return (
    <div ref={box} className="histogram">
      <svg width={width} height={HEIGHT} role="img" aria-label={label}>
        {axis.ticks.map((tick) => (
          <g key={tick} className="histogram-grid">
            <line x1={MARGIN.left} x2={MARGIN.left + plotWidth} y1={y(tick)} y2={y(tick)} />
            <text x={MARGIN.left - 8} y={y(tick)} dy="0.32em" textAnchor="end">
              {formatCount(tick)}
            </text>
          </g>
        ))}
        {bars.map((bar, index) => {
          const x = MARGIN.left + index * slot;
          const top = y(bar.count);
          return (
            <g key={index} className={`histogram-bar histogram-bar-${bar.early}`}>
              <title>{`${bar.label}: ${counted(bar.count, 'retry', 'retries')} (${Math.round(bar.share * 100)}%)${bar.early === 'all' ? ', shorter than the delay' : bar.early === 'some' ? ', around the delay' : ''}`}</title>
              <rect x={x + 2} y={top} width={Math.max(1, slot - 4)} height={Math.max(0, MARGIN.top + plotHeight - top)} rx={2} />
              {bar.count > 0 && (
                <text x={x + slot / 2} y={top - 4} textAnchor="middle" className="histogram-count">
                  {formatCount(bar.count)}
                </text>
              )}
            </g>
          );
        })}
        <line className="histogram-axis" x1={MARGIN.left} x2={MARGIN.left + plotWidth} y1={MARGIN.top + plotHeight} y2={MARGIN.top + plotHeight} />
        {histogram.buckets.map((bucket, index) =>
          index % edgeEvery === 0 ? (
            <text key={bucket.from} className="histogram-edge" x={MARGIN.left + index * slot} y={MARGIN.top + plotHeight + 16} textAnchor="middle">
              {shortEdge(bucket.from)}
            </text>
          ) : null,
        )}
        <text className="histogram-axis-title" x={MARGIN.left + plotWidth / 2} y={HEIGHT - 4} textAnchor="middle">
          time since the previous attempt of the same mail
        </text>
        <g className="histogram-delay">
          <line x1={delayX} x2={delayX} y1={MARGIN.top - 14} y2={MARGIN.top + plotHeight} />
          <text x={delayX + 4} y={MARGIN.top - 6}>
            delay {formatDuration(histogram.delay)}
          </text>
        </g>
      </svg>
    </div>
  );
}

/** The same figures as a table, for screen readers and for reading exact counts. */
export function RetryHistogramTable({ histogram, caption }: { histogram: RetryHistogram; caption: string }) {
  return (
    <table className="table table-compact histogram-table">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Interval</th>
          <th scope="col" className="numeric">Retries</th>
          <th scope="col" className="numeric">Share</th>
          <th scope="col">Compared with the delay</th>
        </tr>
      </thead>
      <tbody>
        {barsOf(histogram).map((bar) => (
          <tr key={bar.label}>
            <td>{bar.label}</td>
            <td className="numeric">{formatCount(bar.count)}</td>
            <td className="numeric">{Math.round(bar.share * 100)}%</td>
            <td className="muted">{bar.early === 'all' ? 'shorter' : bar.early === 'some' ? 'around' : 'longer'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
