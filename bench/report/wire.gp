# Section 6 of docs/report.md: REST/JSON over HTTP/1.1 and h2c vs gRPC, per GetEvent call.
# Usage: gnuplot -e "bytes='wire-bytes.tsv'; gateway='wire-gateway.tsv'; inflight='16'; out='wire.svg'" wire.gp
set terminal svg size 1100,460 dynamic font "sans,11" background rgb "white"
set output out
set termoption noenhanced
set datafile separator "\t"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set grid ytics
set yrange [0:*]
set key top right font ",9"
set xtics font ",9" nomirror rotate by -25 left
set multiplot layout 1,3 title "One GetEvent through the gateway, per call"

set title "TCP payload bytes (client <-> gateway)"
plot bytes using 2:xtic(1) every ::1 title "request" lc rgb "#1f618d", \
     '' using 3 every ::1 title "response" lc rgb "#5dade2"

set title "gateway syscalls"
plot gateway using 2:xtic(1) every ::1 title "1 in flight" lc rgb "#7d3c98", \
     '' using 5 every ::1 title inflight." in flight" lc rgb "#c39bd3"

set title "gateway CPU (us)"
plot gateway using 3:xtic(1) every ::1 title "1 in flight" lc rgb "#b03a2e", \
     '' using 6 every ::1 title inflight." in flight" lc rgb "#f1948a"
unset multiplot
