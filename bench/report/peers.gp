# Section 5 of docs/report.md: the gateway beside the peers, from docs/benchmarks-gateway.md.
# Usage: gnuplot -e "data='peers'; out='peers.svg'" peers.gp   (reads data-rps.tsv, data-latency.tsv)
set terminal svg size 1100,480 dynamic font "sans,11" background rgb "white"
set output out
set termoption noenhanced
set datafile separator "\t"
set style data histograms
set style fill solid 0.85 border -1
set boxwidth 0.7
set grid ytics
set key off
set yrange [0:*]
set xtics font ",9" nomirror rotate by -30 left
set bmargin 8
set multiplot layout 1,2
set title "native gRPC GetEvent, req/s vs direct"
plot data."-rps.tsv" using 3:xtic(1) every ::1 lc rgb "#2e86c1"
set title "added p50 latency at one call in flight (us)"
plot data."-latency.tsv" using 2:xtic(1) every ::1 lc rgb "#ca6f1e"
unset multiplot
