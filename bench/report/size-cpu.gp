# Section 1 of docs/report.md: encode and decode time per message, protobuf vs JSON (log scale).
# Usage: gnuplot -e "data='size.tsv'; out='size-cpu.svg'" size-cpu.gp
set terminal svg size 1100,560 dynamic font "sans,11" background rgb "white"
set output out
set termoption noenhanced
set datafile separator "\t"
set title "CPU per message, realistic values (ns, log scale; one core, median of repeats)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set xtics rotate by -60 left font ",9" nomirror
set ylabel "ns per message"
set logscale y
set rmargin 10
set grid ytics
set key top left
plot data using 7:xtic(1) every ::1 title "protobuf encode" lc rgb "#1f618d", \
     '' using 8 every ::1 title "protobuf decode" lc rgb "#5dade2", \
     '' using 9 every ::1 title "JSON encode" lc rgb "#b03a2e", \
     '' using 10 every ::1 title "JSON decode" lc rgb "#f1948a"
