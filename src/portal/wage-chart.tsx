import { Money } from "../shared/money.js";
import { formatMoney, formatMonth } from "./format.js";
import type { Locale } from "./i18n.js";

export type WagePoint = { month: string; wage: string };

const width = 720;
const height = 260;
const margin = { top: 20, right: 20, bottom: 40, left: 90 };

/**
 * The contributory wage month by month as an SVG line drawn on the server (no script). Time
 * runs left to right in both languages, as charts do in Arabic print too; labels follow the
 * page's language. Coordinates are pixels, so Number() is fine here; every amount a person
 * reads is formatted from the exact decimal string.
 */
export function WageChart(props: { points: WagePoint[]; locale: Locale; title: string; empty: string }) {
  const { points, locale } = props;
  if (points.length === 0) return <p class="muted">{props.empty}</p>;
  const values = points.map((point) => Number(point.wage));
  const top = Math.max(...values, 1) * 1.1;
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const x = (index: number) =>
    margin.left + (points.length === 1 ? plotWidth / 2 : (index / (points.length - 1)) * plotWidth);
  const y = (value: number) => margin.top + plotHeight - (value / top) * plotHeight;
  const path = points.map((point, index) => `${x(index).toFixed(1)},${y(Number(point.wage)).toFixed(1)}`).join(" ");
  // Axis labels are exact amounts: zero, half the highest wage (to the halala) and the highest.
  const highest = points
    .map((point) => Money.sar(point.wage))
    .reduce((max, wage) => Money.max(max, wage), Money.zero)
    .toHalalas();
  const ticks = [0n, highest / 2n, highest].map((halalas) => Money.fromHalalas(halalas).toString());
  const labelEvery = Math.max(1, Math.ceil(points.length / 6));
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-labelledby="wage-chart-title"
      direction="ltr"
      data-points={points.length}
    >
      <title id="wage-chart-title">{props.title}</title>
      {ticks.map((tick) => (
        <g>
          <line x1={margin.left} x2={width - margin.right} y1={y(Number(tick))} y2={y(Number(tick))} stroke="#d5d9de" />
          <text x={margin.left - 8} y={y(Number(tick)) + 4} text-anchor="end" font-size="12" fill="#39414c">
            {formatMoney(locale, tick)}
          </text>
        </g>
      ))}
      <polyline points={path} fill="none" stroke="#0b5d3b" stroke-width="3" />
      {points.map((point, index) => (
        <circle cx={x(index)} cy={y(Number(point.wage))} r="3.5" fill="#0b5d3b">
          <title>{`${formatMonth(locale, point.month)}: ${formatMoney(locale, point.wage)}`}</title>
        </circle>
      ))}
      {points.map((point, index) =>
        index % labelEvery === 0 || index === points.length - 1 ? (
          <text x={x(index)} y={height - 12} text-anchor="middle" font-size="12" fill="#39414c">
            {formatMonth(locale, point.month)}
          </text>
        ) : null,
      )}
    </svg>
  );
}
