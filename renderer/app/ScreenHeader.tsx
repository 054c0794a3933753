import type { ReactNode } from 'react';

export function ScreenHeader({ title, subtitle, children }: { title: string; subtitle?: ReactNode; children?: ReactNode }) {
  return (
    <div className="screen-header">
      <div>
        <h1 tabIndex={-1}>{title}</h1>
        {subtitle && <p className="muted screen-subtitle">{subtitle}</p>}
      </div>
      {children && <div className="screen-actions">{children}</div>}
    </div>
  );
}
