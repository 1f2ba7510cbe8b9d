//! A real Slurm cluster of one node, started by this test: a 3-task job array runs
//! `sweep --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`, `merge` joins the shards, and
//! the result must equal the sweep run locally in one go, byte for byte.
//!
//! Everything lives in a temporary folder: a munge key and `munged` on its own socket, a
//! `slurm.conf` with free localhost ports, `slurmctld` and `slurmd` in the foreground as children
//! of this test, and the client commands pointed at the conf with `SLURM_CONF`.
//!
//! Cleanup holds on every path, a failed assertion or a panic included, because it lives in
//! guards' `Drop` (which runs while a panic unwinds): each daemon, and `sbatch`, is started in a
//! process group of its own and stopped by group — SIGTERM to the whole group, SIGKILL to it
//! after a grace period — so a helper a daemon forked (slurmstepd, a job) goes too; the folder,
//! munge key included, is removed after the daemons have stopped.
//!
//! Without Slurm (no `sbatch` on PATH) or without root (slurmd must run jobs as their user) the
//! test cannot run. Locally it then prints why and passes; with `CI=true` in the environment
//! it fails with the reason, so CI cannot pass by skipping it (`.ci/run` installs Debian's
//! `slurm-wlm` and `munge` and runs as root).

use std::fmt::Write as _;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test, as cargo built it for this test run.
const BIN: &str = env!("CARGO_BIN_EXE_implicit-bias");
/// The daemons and client commands the test needs.
const SLURM_PROGRAMS: [&str; 5] = ["sbatch", "sinfo", "slurmctld", "slurmd", "munged"];
/// How long the node may take to come up, and the job array to finish.
const NODE_TIMEOUT: Duration = Duration::from_secs(60);
const JOB_TIMEOUT: Duration = Duration::from_secs(300);
/// The grid: 4 scales × 2 seeds = 8 points over 3 shards (3, 3 and 2 points).
const SWEEP: [&str; 8] = [
    "--set",
    "model.init_scale=1e-3,1e-2,0.1,1",
    "--seeds",
    "2",
    "--steps",
    "500",
    "--jobs",
    "1",
];

/// How long a process group has to stop after SIGTERM before it gets SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Why this machine cannot run the test, if it cannot.
fn missing_requirement() -> Option<String> {
    for program in SLURM_PROGRAMS {
        if find_on_path(program).is_none() {
            return Some(format!(
                "`{program}` is not on PATH; install Debian's slurm-wlm and munge (as .ci/run does)"
            ));
        }
    }
    // Only a successful `id -u` that prints 0 is root: a missing or failing `id` is not.
    let uid = match Command::new("id").arg("-u").output() {
        Ok(output) if output.status.success() => {
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        }
        Ok(output) => {
            return Some(format!(
                "`id -u` failed ({}), so this may not be root: slurmd must run as root",
                output.status
            ));
        }
        Err(e) => return Some(format!("`id -u` cannot run ({e}); slurmd must run as root")),
    };
    if uid != "0" {
        return Some(format!(
            "not root (uid {uid}): slurmd must run as root to start jobs"
        ));
    }
    None
}

/// Whether the environment says this is CI (`CI=true`, as GitHub Actions and GitLab set it, or
/// `CI=1`): there a test that cannot run must fail, not skip.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// A child started as the leader of a new process group (`process_group(0)`: its PGID is its
/// PID); dropping it stops the whole group — SIGTERM, then SIGKILL after [`STOP_GRACE`] — and
/// reaps the leader. Stopping by group also stops what the child forked, and a group left after
/// its leader exited is still signalled (a group with no members left makes `kill` fail, which
/// is ignored).
struct Group {
    name: String,
    child: Child,
}

impl Group {
    /// Spawns `command` as a new process group's leader.
    fn spawn(name: &str, command: &mut Command) -> Self {
        let child = command
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Self {
            name: name.to_owned(),
            child,
        }
    }

    /// Sends `signal` (`-TERM`, `-KILL`) to every process of the group.
    fn signal(&self, signal: &str) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args([signal, "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// Whether any process of the group is alive: `kill -0` to the group succeeds.
    fn alive(&self) -> bool {
        let group = format!("-{}", self.child.id());
        Command::new("kill")
            .args(["-0", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // Reap the leader as it goes, or a zombie leader would keep the group "alive".
        let _ = self.child.try_wait();
        self.signal("-TERM");
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            let _ = self.child.try_wait();
            if !self.alive() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("{} ignored SIGTERM for {STOP_GRACE:?}: SIGKILL", self.name);
        self.signal("-KILL");
        let _ = self.child.wait();
    }
}

/// The daemons this test started, each in a process group of its own, stopped newest first
/// when the guard drops: slurmd, slurmctld, then munged that both need to shut down cleanly.
struct Daemons {
    groups: Vec<Group>,
}

impl Daemons {
    fn start(&mut self, name: &str, command: &mut Command, log: &Path) {
        let log_file = std::fs::File::create(log).expect("a log file in the temp folder");
        let group = Group::spawn(
            name,
            command
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("log handle"))
                .stderr(log_file),
        );
        self.groups.push(group);
    }

    /// Panics with the daemons' logs when one of them has exited already.
    fn assert_running(&mut self, dir: &Path) {
        for group in &mut self.groups {
            if let Ok(Some(status)) = group.child.try_wait() {
                panic!("{} exited with {status}\n{}", group.name, logs(dir));
            }
        }
    }
}

impl Drop for Daemons {
    fn drop(&mut self) {
        while let Some(group) = self.groups.pop() {
            drop(group);
        }
    }
}

/// The test's temporary folder (the munge key, sockets, logs, shards), removed with everything
/// in it when the guard drops. Declared before [`Daemons`] so that it drops after them: the
/// daemons stop before their folder goes.
struct TempDir(PathBuf);

impl TempDir {
    /// A fresh, empty folder named after this process.
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("implicit-bias-slurm-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            eprintln!("cannot remove {}: {e}", self.0.display());
        }
    }
}

/// A localhost TCP port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// The last lines of every log in `dir`, for failure messages.
fn logs(dir: &Path) -> String {
    let mut text = String::new();
    for name in [
        "sbatch.out",
        "munged.out",
        "slurmctld.out",
        "slurmd.out",
        "slurmctld.log",
        "slurmd.log",
    ] {
        let content = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        let lines: Vec<&str> = content.lines().collect();
        let tail = &lines[lines.len().saturating_sub(15)..];
        writeln!(text, "--- {name}\n{}", tail.join("\n")).ok();
    }
    text
}

/// The `slurm.conf` of a one-node cluster living in `dir`.
fn slurm_conf(dir: &Path, cpus: usize) -> String {
    let d = dir.display();
    let hostname = Command::new("hostname").output().map_or_else(
        |_| "localhost".into(),
        |o| String::from_utf8_lossy(&o.stdout).trim().to_string(),
    );
    format!(
        "ClusterName=implicitbias\n\
         SlurmctldHost=localhost\n\
         SlurmctldPort={ctld}\n\
         SlurmdPort={slurmd}\n\
         AuthType=auth/munge\n\
         CredType=cred/munge\n\
         AuthInfo=socket={d}/munge.socket\n\
         SlurmUser=root\n\
         SlurmdUser=root\n\
         StateSaveLocation={d}/state\n\
         SlurmdSpoolDir={d}/spool\n\
         SlurmctldPidFile={d}/slurmctld.pid\n\
         SlurmdPidFile={d}/slurmd.pid\n\
         SlurmctldLogFile={d}/slurmctld.log\n\
         SlurmdLogFile={d}/slurmd.log\n\
         ProctrackType=proctrack/linuxproc\n\
         TaskPlugin=task/none\n\
         SelectType=select/cons_tres\n\
         SelectTypeParameters=CR_CPU\n\
         SchedulerType=sched/builtin\n\
         MpiDefault=none\n\
         ReturnToService=2\n\
         JobCompType=jobcomp/none\n\
         AccountingStorageType=accounting_storage/none\n\
         JobAcctGatherType=jobacct_gather/none\n\
         NodeName=localhost NodeHostname={hostname} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN\n\
         PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP\n",
        ctld = free_port(),
        slurmd = free_port(),
    )
}

/// Starts munged, slurmctld and slurmd in `dir` and waits until the node is idle.
fn start_cluster(dir: &Path, daemons: &mut Daemons) -> PathBuf {
    for sub in ["state", "spool"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    // munged refuses a socket folder others cannot traverse, and a key others can read.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let key = dir.join("munge.key");
    std::fs::write(&key, read_random(1024)).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o400)).unwrap();
    let d = dir.display().to_string();
    daemons.start(
        "munged",
        Command::new(find_on_path("munged").unwrap()).args([
            "--foreground",
            "--force",
            &format!("--socket={d}/munge.socket"),
            &format!("--key-file={d}/munge.key"),
            &format!("--pid-file={d}/munged.pid"),
            &format!("--log-file={d}/munged.log"),
            &format!("--seed-file={d}/munged.seed"),
        ]),
        &dir.join("munged.out"),
    );
    let conf = dir.join("slurm.conf");
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    std::fs::write(&conf, slurm_conf(dir, cpus)).unwrap();
    wait_for(dir, daemons, "the munge socket", || {
        dir.join("munge.socket").exists()
    });
    let conf_text = conf.to_string_lossy().into_owned();
    daemons.start(
        "slurmctld",
        Command::new(find_on_path("slurmctld").unwrap()).args(["-D", "-i", "-f", &conf_text]),
        &dir.join("slurmctld.out"),
    );
    daemons.start(
        "slurmd",
        Command::new(find_on_path("slurmd").unwrap()).args([
            "-D",
            "-f",
            &conf_text,
            "-N",
            "localhost",
        ]),
        &dir.join("slurmd.out"),
    );
    wait_for(dir, daemons, "the node to be idle", || {
        client("sinfo", &conf)
            .args(["--noheader", "--format=%T"])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle")
    });
    conf
}

/// `count` bytes from the kernel's random source (a munge key).
fn read_random(count: usize) -> Vec<u8> {
    use std::io::Read;
    let mut bytes = vec![0; count];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("/dev/urandom is readable");
    bytes
}

/// Polls `ready` until it holds, failing with the logs after [`NODE_TIMEOUT`] or when a daemon
/// has died.
fn wait_for(dir: &Path, daemons: &mut Daemons, what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + NODE_TIMEOUT;
    while !ready() {
        daemons.assert_running(dir);
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}\n{}",
            logs(dir)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A Slurm client command aimed at this test's cluster.
fn client(program: &str, conf: &Path) -> Command {
    let mut command = Command::new(find_on_path(program).expect("checked before"));
    command.env("SLURM_CONF", conf).stdin(Stdio::null());
    command
}

/// Runs the binary and returns stdout, failing on a non-zero exit.
fn implicit_bias(args: &[&str]) -> Vec<u8> {
    let output: Output = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn a_slurm_job_array_of_shards_merges_into_the_local_sweep() {
    if let Some(why) = missing_requirement() {
        assert!(
            !in_ci(),
            "CI=true, but the Slurm cluster test cannot run here: {why}"
        );
        println!("skipped: no real Slurm cluster test here: {why}");
        return;
    }
    // Drop order is the reverse of declaration: the daemons stop, then the folder goes.
    let temp = TempDir::new();
    let dir = temp.0.clone();
    let mut daemons = Daemons { groups: vec![] };
    let conf = start_cluster(&dir, &mut daemons);

    let preset = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sweep/completion-16.toml");
    let preset = preset.to_string_lossy().into_owned();
    let script = dir.join("sweep.sbatch");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nexec '{BIN}' sweep '{preset}' {} \
             --shard \"$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT\" \
             > \"shard-$SLURM_ARRAY_TASK_ID.csv\"\n",
            SWEEP.join(" ")
        ),
    )
    .unwrap();
    // `sbatch --wait` in a group of its own too: a timeout or a panic stops it by its guard.
    let mut sbatch = Group::spawn(
        "sbatch",
        client("sbatch", &conf)
            .args(["--wait", "--array=0-2", "--output=slurm-%a.out", "--chdir"])
            .arg(&dir)
            .arg(&script)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("sbatch.out")).expect("a log file")),
    );
    let deadline = Instant::now() + JOB_TIMEOUT;
    let status = loop {
        if let Some(status) = sbatch.child.try_wait().expect("sbatch can be waited for") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the job array did not finish in time\n{}",
            logs(&dir)
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(status.success(), "sbatch --wait: {status}\n{}", logs(&dir));

    let shards: Vec<String> = (0..3)
        .map(|k| {
            dir.join(format!("shard-{k}.csv"))
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let mut merge = vec!["merge"];
    merge.extend(shards.iter().rev().map(String::as_str));
    let merged = implicit_bias(&merge);
    let local = implicit_bias(&[&["sweep", preset.as_str()][..], &SWEEP[..]].concat());
    assert_eq!(
        String::from_utf8_lossy(&merged),
        String::from_utf8_lossy(&local),
        "the merged shards differ from the local sweep"
    );
    assert_eq!(String::from_utf8_lossy(&local).lines().count(), 1 + 8);
    drop(sbatch);
    drop(daemons);
    drop(temp);
}
