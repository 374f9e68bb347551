// Scratch profiling driver (not committed).
use std::sync::Arc;
use std::time::Instant;
use cfut_threads::ThreadPoolExecutor;

fn fib_cfut(pool: &Arc<ThreadPoolExecutor>, n: u32) -> u64 {
    if n < 2 { return u64::from(n); }
    let inner = Arc::clone(pool);
    let first = pool.spawn(move || fib_cfut(&inner, n - 1));
    let second = fib_cfut(pool, n - 2);
    first.result().expect("fib call") + second
}
fn fib_static(pool: &'static ThreadPoolExecutor, n: u32) -> u64 {
    if n < 2 { return u64::from(n); }
    let first = pool.spawn(move || fib_static(pool, n - 1));
    let second = fib_static(pool, n - 2);
    first.result().expect("fib call") + second
}
fn fib_serial(n: u32) -> u64 { if n < 2 { return u64::from(n); } fib_serial(n - 1) + fib_serial(n - 2) }

fn main() {
    let what = std::env::args().nth(1).unwrap_or_default();
    let reps: usize = std::env::args().nth(2).map_or(10, |s| s.parse().unwrap());
    match what.as_str() {
        "fib" => {
            let w: usize = std::env::var("W").map_or(2, |s| s.parse().unwrap()); let pool = Arc::new(ThreadPoolExecutor::new(w).unwrap());
            let mut times = vec![];
            for _ in 0..reps {
                let t = Instant::now();
                let p = Arc::clone(&pool);
                let v = pool.spawn(move || fib_cfut(&p, 25)).result().unwrap();
                assert_eq!(v, 75025);
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            let t = Instant::now();
            assert_eq!(fib_serial(std::hint::black_box(25)), 75025);
            times.sort_by(|a, b| a.partial_cmp(b).unwrap());
            println!("fib ms median {:.3} min {:.3}; serial {:.3}", times[times.len()/2], times[0], t.elapsed().as_secs_f64()*1e3);
        }
        "fibs" => {
            let w: usize = std::env::var("W").map_or(2, |s| s.parse().unwrap());
            let pool: &'static ThreadPoolExecutor = Box::leak(Box::new(ThreadPoolExecutor::new(w).unwrap()));
            let mut times = vec![];
            for _ in 0..reps {
                let t = Instant::now();
                let v = pool.spawn(move || fib_static(pool, 25)).result().unwrap();
                assert_eq!(v, 75025);
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(|a, b| a.partial_cmp(b).unwrap());
            println!("fibs ms median {:.3} min {:.3}", times[times.len()/2], times[0]);
        }
        "submit" => {
            let pool = ThreadPoolExecutor::new(2).unwrap();
            let mut times = vec![];
            for _ in 0..reps {
                let t = Instant::now();
                let futures: Vec<_> = (0..100_000usize).map(|i| pool.spawn(move || i)).collect();
                let s: usize = futures.into_iter().map(|f| f.result().unwrap()).sum();
                assert_eq!(s, 100_000 * 99_999 / 2);
                times.push(t.elapsed().as_secs_f64() * 1e6 / 100_000.0);
            }
            times.sort_by(|a, b| a.partial_cmp(b).unwrap());
            println!("submit µs/call median {:.4} min {:.4}", times[times.len()/2], times[0]);
        }
        "rt" => {
            let pool = ThreadPoolExecutor::new(2).unwrap();
            let mut meds = vec![];
            for _ in 0..reps {
                for i in 0..100usize { pool.spawn(move || i).result().unwrap(); }
                let mut v: Vec<f64> = (0..2000usize).map(|i| { let t = Instant::now(); assert_eq!(pool.spawn(move || i).result().unwrap(), i); t.elapsed().as_secs_f64()*1e6 }).collect();
                v.sort_by(|a, b| a.partial_cmp(b).unwrap());
                meds.push(v[1000]);
            }
            meds.sort_by(|a, b| a.partial_cmp(b).unwrap());
            println!("rt p50 µs median {:.3} min {:.3}", meds[meds.len()/2], meds[0]);
        }
        "startup" => {
            let mut times = vec![];
            for _ in 0..reps {
                let t = Instant::now();
                let pool = ThreadPoolExecutor::new(2).unwrap();
                let b = Arc::new(std::sync::Barrier::new(2));
                let fs: Vec<_> = (0..2).map(|_| { let b = Arc::clone(&b); pool.spawn(move || { b.wait(); }) }).collect();
                for f in fs { f.result().unwrap(); }
                pool.shutdown(cfut_core::Shutdown::new());
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(|a, b| a.partial_cmp(b).unwrap());
            println!("startup ms median {:.4} min {:.4}", times[times.len()/2], times[0]);
        }
        _ => panic!("fib|submit|startup"),
    }
}
