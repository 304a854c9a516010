extension HTMLRenderer {
    /// The report's only style sheet, inline so the file stands alone. Screen: a readable column with
    /// banded tables. Print: A4, 10 pt sans-serif text, one host per page, table rows and headings kept
    /// whole, table headers repeated on each page, and `<details>` lists printed open.
    /// (No `<` or `&` in here: the markup must stay well-formed XML.)
    static let styleSheet = """

        :root { --ink: #1f2933; --muted: #616e7c; --line: #d9dee5; --band: #f3f5f8; --accent: #245d8f;
          --warn-ink: #7a4100; --warn-band: #fff4e0; }
        * { box-sizing: border-box; }
        body { margin: 0 auto; max-width: 72rem; padding: 2rem 1.5rem 4rem; color: var(--ink); background: #fff;
          font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
        h1 { font-size: 1.75rem; margin: 0; }
        h2 { font-size: 1.3rem; margin: 2.5rem 0 .75rem; padding-bottom: .25rem;
          border-bottom: 2px solid var(--accent); }
        h3 { font-size: 1.02rem; margin: 1.5rem 0 .4rem; color: var(--accent); }
        header .subtitle, .muted { color: var(--muted); }
        a { color: var(--accent); }
        table { border-collapse: collapse; width: 100%; margin: .25rem 0 1rem; font-size: .9rem; }
        th, td { text-align: left; vertical-align: top; padding: .3rem .6rem; border-bottom: 1px solid var(--line); }
        th { background: var(--band); font-weight: 600; white-space: nowrap; }
        tbody tr:nth-child(even) td { background: #fafbfc; }
        .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .mono, table.backup td:nth-child(-n+2), table.packages td:nth-child(2) {
          font-family: ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: .85em; }
        table.hosts td:first-child, table.users td:first-child, table.pool-users td:first-child { font-weight: 600; }
        table.hosts .muted { font-size: .85em; }
        table.hosts td:first-child, table.hosts td.snapshot, table.users td:first-child,
          table.pool-users td:first-child { white-space: nowrap; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1.5rem; margin: .5rem 0 1rem; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; overflow-wrap: anywhere; }
        ul.problems { list-style: none; margin: .5rem 0 1rem; padding: .5rem .9rem; color: var(--warn-ink);
          background: var(--warn-band); border-left: 4px solid #e09b2d; }
        details { margin: .25rem 0 1rem; }
        summary { cursor: pointer; color: var(--accent); padding: .2rem 0; }
        details table { margin-top: .4rem; }
        table.packages { font-size: .82rem; }
        table.packages td { padding: .12rem .6rem; }
        @media print {
          @page { size: A4; margin: 14mm 12mm; }
          body { max-width: none; padding: 0; font-size: 10pt; line-height: 1.35; }
          h2 { margin-top: 0; }
          section.host { break-before: page; }
          h2, h3 { break-after: avoid; }
          tr, dl.facts, ul.problems { break-inside: avoid; }
          thead { display: table-header-group; }
          table { font-size: 9pt; }
          table.hosts { font-size: 8pt; }
          table.hosts td.snapshot { white-space: normal; }
          tbody tr:nth-child(even) td { background: none; }
          th { background: none; border-bottom: 1.5px solid var(--ink); }
          a { color: inherit; text-decoration: none; }
          summary { color: var(--ink); font-weight: 600; list-style: none; }
          details::details-content { content-visibility: visible; display: block; }
          /* Hundreds of packages: flow them in three columns instead of one long table. */
          table.packages, table.packages tbody { display: block; width: 100%; }
          table.packages thead { display: none; }
          table.packages tbody { columns: 3; column-gap: 6mm; font-size: 7.5pt; line-height: 1.25; }
          table.packages tr { display: block; break-inside: avoid; }
          table.packages td { display: inline; padding: 0; border: none; background: none; }
          table.packages td + td { padding-left: .4em; }
          table.packages td:first-child { font-weight: 600; }
          table.packages td:nth-child(2) { font-family: inherit; font-size: inherit; }
          table.packages td:nth-child(3) { color: var(--muted); }
        }

        """
}
