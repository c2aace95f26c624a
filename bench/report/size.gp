# Section 1 of docs/report.md: JSON bytes / protobuf bytes per message type, realistic values.
# Usage: gnuplot -e "data='size.tsv'; out='size-ratio.svg'" size.gp
set terminal svg size 1100,520 dynamic font "sans,11" background rgb "white"
set output out
set termoption noenhanced
set datafile separator "\t"
set title "JSON size / protobuf size per message (realistic values; the dashed lines are the claimed 5x and 10x)"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set xtics rotate by -60 left font ",9" nomirror
set ylabel "JSON bytes / protobuf bytes"
# Room above the claimed 10x, however small the measured ratios are.
stats data using ($2 > 0 ? $3 / $2 : 1/0) every ::1 nooutput
set yrange [0:(STATS_max > 11 ? STATS_max * 1.05 : 11)]
set rmargin 10
set grid ytics
set key off
set arrow from graph 0, first 5 to graph 1, first 5 nohead dashtype 2 lc rgb "#c0392b"
set arrow from graph 0, first 10 to graph 1, first 10 nohead dashtype 2 lc rgb "#c0392b"
# Columns: type, pb_bytes, json_bytes; an empty protobuf message (0 bytes) has no ratio.
plot data using ($2 > 0 ? $3 / $2 : 1/0):xtic(1) every ::1 lc rgb "#2e86c1"
