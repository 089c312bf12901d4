
set terminal pngcairo size 900,560 noenhanced
set grid
set key top left
set output 'bench/results/peers-latency.png'
set title 'W2: p99 latency vs subscribers, at the step nearest 100,000 deliveries/s (one channel)'
set xlabel 'subscribers'
set ylabel 'p99 latency (ms)'
set logscale y
plot 'bench/results/peers-plot.dat' index 0 with linespoints lw 2 title 'ssegate', 'bench/results/peers-plot.dat' index 1 with linespoints lw 2 title 'nginx+Nchan', 'bench/results/peers-plot.dat' index 2 with linespoints lw 2 title 'Pushpin', 'bench/results/peers-plot.dat' index 3 with linespoints lw 2 title 'nginx proxy_pass'
unset logscale y
set output 'bench/results/peers-cpu.png'
set title 'W2: deliveries/s vs server CPU (all steps, all subscriber counts)'
set xlabel 'server CPU (cores, of 2)'
set ylabel 'deliveries per second'
plot 'bench/results/peers-plot.dat' index 4 with points pt 7 ps 1.2 title 'ssegate', 'bench/results/peers-plot.dat' index 5 with points pt 7 ps 1.2 title 'nginx+Nchan', 'bench/results/peers-plot.dat' index 6 with points pt 7 ps 1.2 title 'Pushpin', 'bench/results/peers-plot.dat' index 7 with points pt 7 ps 1.2 title 'nginx proxy_pass'
