# Section 4 of docs/report.md: share of one channel's calls per replica, by path.
# Usage: gnuplot -e "data='balance.tsv'; out='balance.svg'" balance.gp   (columns: path, replica 1..3, errors)
set terminal svg size 1000,440 dynamic font "sans,11" background rgb "white"
set output out
set termoption noenhanced
set datafile separator "\t"
set title "one client channel, GetEvent calls: share per replica"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set ylabel "% of calls"
set yrange [0:105]
set grid ytics
set key top right
set xtics font ",10" nomirror
plot data using 2:xtic(1) every ::1 title "replica 1" lc rgb "#1f618d", \
     '' using 3 every ::1 title "replica 2" lc rgb "#d68910", \
     '' using 4 every ::1 title "replica 3" lc rgb "#239b56"
