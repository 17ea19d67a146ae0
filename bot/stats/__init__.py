"""Published results (対応結果公表): how citizens are served, as figures, charts and open data."""
