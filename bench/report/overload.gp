# Section 3 of docs/report.md: goodput and wasted check CPU vs offered load; propagation on, off,
# and on with shedding. Columns of the data: offered, then per mode (on, off, shed) goodput,
# wasted cores, wasted %, p99 ms, chain CPU ms.
# Usage: gnuplot -e "data='overload.tsv'; out='overload.svg'" overload.gp
set terminal svg size 1100,440 dynamic font "sans,11" background rgb "white"
set output out
set termoption noenhanced
set datafile separator "\t"
set key top left font ",10"
set grid
set xlabel "offered CreateBooking calls per second"
set multiplot layout 1,2
set title "goodput: bookings OK within their deadline"
set ylabel "per second"
set yrange [0:*]
plot data using 1:7 every ::1 with linespoints lw 2 pt 5 lc rgb "#c0392b" title "propagation off", \
     '' using 1:2 every ::1 with linespoints lw 2 pt 7 lc rgb "#1e8449" title "propagation on", \
     '' using 1:12 every ::1 with linespoints lw 2 pt 9 lc rgb "#2471a3" title "on + shedding", \
     '' using 1:1 every ::1 with lines dashtype 2 lc rgb "#7f8c8d" title "offered"
set title "fraud-check CPU spent on callers that gave up"
set ylabel "cores"
plot data using 1:8 every ::1 with linespoints lw 2 pt 5 lc rgb "#c0392b" title "propagation off", \
     '' using 1:3 every ::1 with linespoints lw 2 pt 7 lc rgb "#1e8449" title "propagation on", \
     '' using 1:13 every ::1 with linespoints lw 2 pt 9 lc rgb "#2471a3" title "on + shedding"
unset multiplot
