use cfut_combinators::MapExt;
use cfut_threads::ThreadPoolExecutor;
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::Instant;

fn main() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    for round in 0..3 {
        let mut line = format!("round {round}:");
        for window in [8usize, 16, 64, 256, 1024, 8192] {
            let t5 = Instant::now();
            let n4 = pool
                .map(|x: usize| black_box(x), 0..100_000)
                .window(NonZeroUsize::new(window).unwrap())
                .count();
            assert_eq!(n4, 100_000);
            line += &format!(" w{window}={:.2}M/s", 0.1 / t5.elapsed().as_secs_f64());
        }
        for chunk in [4usize, 16] {
            let t5 = Instant::now();
            let n4 = pool
                .map(|x: usize| black_box(x), 0..100_000)
                .chunksize(NonZeroUsize::new(chunk).unwrap())
                .count();
            assert_eq!(n4, 100_000);
            line += &format!(" c{chunk}={:.2}M/s", 0.1 / t5.elapsed().as_secs_f64());
        }
        let t = Instant::now();
        let futures: Vec<_> = (0..100_000usize)
            .map(|i| pool.submit(move || black_box(i)))
            .collect();
        let ts = t.elapsed();
        for f in futures {
            f.result().unwrap();
        }
        line += &format!(
            " eager-submit={:.2}M/s (submit only {:.2}M/s)",
            0.1 / t.elapsed().as_secs_f64(),
            0.1 / ts.as_secs_f64()
        );
        println!("{line}");
    }
}
