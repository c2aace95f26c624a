# Section 2 of docs/report.md: streaming vs polling, per case (N clients x how): bytes per
# minute, server CPU per minute (log scales) and staleness p50/p99.
# Usage: gnuplot -e "data='follow.tsv'; out='follow.svg'" follow.gp
set terminal svg size 1200,460 dynamic font "sans,11" background rgb "white"
set output out
set termoption noenhanced
set datafile separator "\t"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set grid ytics
set xtics font ",9" nomirror rotate by -30 left
set bmargin 7
set multiplot layout 1,3
set title "bytes on the wire per minute"
set logscale y
set key off
plot data using 4:xtic(1) every ::1 lc rgb "#2e86c1"
set title "server CPU (gateway + stock) ms per minute"
plot data using 6:xtic(1) every ::1 lc rgb "#b03a2e"
set title "staleness of a price change (ms)"
set key top left font ",9"
plot data using 8:xtic(1) every ::1 title "p50" lc rgb "#239b56", \
     '' using 9 every ::1 title "p99" lc rgb "#82e0aa"
unset multiplot
