//! `absorb movie`: a 12-frame movie of a tiny scene, offscreen, as numbered
//! PNGs and as a GIF: 12 frames of the asked size with spheres in them, the
//! same bits twice; with ffmpeg on PATH, an MP4 of 12 frames (ffprobe).
#![cfg(feature = "gui")]

use absorb::app::movie::{MovieOptions, Output, film};
use absorb::scene::Scene;
use std::path::{Path, PathBuf};

const SIZE: (u32, u32) = (160, 120);

fn options(out: Output) -> MovieOptions {
    // 22 iterations, a frame every 2: the start and 11 more.
    let scene = Scene { dim: 3, n: 150, phi: 0.55, seed: 9, ..Scene::default() };
    MovieOptions {
        scene,
        steps: 22,
        every: 2,
        size: SIZE,
        fps: 10,
        camera: None,
        orbit: 3.0,
        out,
        progress: false,
        replay: None,
        show: absorb::app::show::ShowMode::All,
        panels: false,
    }
}

/// A path in a folder of the test's own (the tests run side by side).
fn temp(test: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("absorb-movie-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn pngs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    files
}

#[test]
fn a_movie_has_its_frames_at_its_size_and_the_same_bits_twice() {
    let (a, b) = (temp("frames", "a"), temp("frames", "b"));
    assert_eq!(film(&options(Output::Folder(a.clone()))).unwrap(), 12);
    assert_eq!(film(&options(Output::Folder(b.clone()))).unwrap(), 12);
    let (first, second) = (pngs(&a), pngs(&b));
    assert_eq!(first.len(), 12);
    assert_eq!(first[0].file_name().unwrap(), "frame-00000.png");
    for (x, y) in first.iter().zip(&second) {
        let (bytes_x, bytes_y) = (std::fs::read(x).unwrap(), std::fs::read(y).unwrap());
        assert!(bytes_x == bytes_y, "{} differs between two films of the same scene and seed", x.display());
        // The PNG's header holds its width and height.
        let w = u32::from_be_bytes(bytes_x[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(bytes_x[20..24].try_into().unwrap());
        assert_eq!((w, h), SIZE);
    }
    // Frames change as the run goes and the camera turns: the movie is not one still.
    assert_ne!(std::fs::read(&first[0]).unwrap(), std::fs::read(&first[11]).unwrap());

    let gif_path = temp("frames", "movie.gif");
    assert_eq!(film(&options(Output::Gif(gif_path.clone()))).unwrap(), 12);
    let mut decoder = gif::DecodeOptions::new();
    decoder.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = decoder.read_info(std::fs::File::open(&gif_path).unwrap()).unwrap();
    assert_eq!((decoder.width() as u32, decoder.height() as u32), SIZE);
    let mut count = 0;
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        // Not blank: more than one colour in the frame.
        let first_pixel = &frame.buffer[..4];
        assert!(frame.buffer.chunks(4).any(|p| p != first_pixel), "GIF frame {count} is one colour");
        count += 1;
    }
    assert_eq!(count, 12);
    std::fs::remove_dir_all(a.parent().unwrap()).unwrap();
}

#[test]
fn an_mp4_has_its_frames_when_ffmpeg_is_there() {
    let has = |tool: &str| std::process::Command::new(tool).arg("-version").output().is_ok_and(|o| o.status.success());
    let path = temp("mp4", "movie.mp4");
    if !(has("ffmpeg") && has("ffprobe")) {
        // Without ffmpeg the movie is refused before any work, with what to do instead.
        let e = film(&options(Output::Mp4(path.clone()))).unwrap_err();
        assert!(e.contains("ffmpeg") && e.contains(".gif"), "{e}");
        assert!(!path.exists(), "nothing half-written");
        return;
    }
    assert_eq!(film(&options(Output::Mp4(path.clone()))).unwrap(), 12);
    let probe = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=width,height,nb_read_frames,pix_fmt", "-of", "csv=p=0"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&probe.stdout);
    assert_eq!(text.trim(), format!("{},{},yuv420p,12", SIZE.0, SIZE.1), "ffprobe: {text}");
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn bad_outputs_and_sizes_are_refused_before_any_work() {
    let e = Output::of(Path::new("talk.avi")).unwrap_err();
    assert!(e.contains(".avi") && e.contains(".mp4") && e.contains(".gif"), "{e}");
    let mut o = options(Output::Folder(std::env::temp_dir().join("absorb-movie-never")));
    o.size = (9000, 100);
    assert!(o.check().unwrap_err().contains("7680x4320"));
    o.size = SIZE;
    o.every = 0;
    assert!(o.check().unwrap_err().contains("--every"));
}

#[test]
fn a_recording_is_filmed_frame_by_frame_in_its_recorded_colours() {
    let dir = temp("replay", "recording");
    let scene = Scene { dim: 2, n: 200, phi: 0.6, seed: 2, steps: 30, ..Scene::default() };
    absorb::run::run(&scene, &dir, false, Some(3)).unwrap();
    let trajectory = absorb::io::trajectory::Trajectory::open(&dir).unwrap();
    let recorded = trajectory.len();
    let out = temp("replay", "movie.gif");
    let mut o = options(Output::Gif(out.clone()));
    o.scene = scene;
    o.replay = Some(trajectory.clone());
    o.every = 1;
    assert_eq!(film(&o).unwrap(), recorded as u64);
    let mut decoder = gif::DecodeOptions::new();
    decoder.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = decoder.read_info(std::fs::File::open(&out).unwrap()).unwrap();
    let mut k = 0;
    let mut distinct = std::collections::HashSet::new();
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        // Coloured as recorded: warm (overlapping) pixels exactly where spheres overlapped.
        let active = trajectory.frame(k).unwrap().active.iter().filter(|&&a| a).count();
        let warm = frame.buffer.chunks(4).filter(|p| p[0] as i32 - p[2] as i32 > 80).count();
        assert_eq!(warm > 0, active > 0, "frame {k}: {active} spheres recorded active, {warm} warm pixels");
        distinct.insert(frame.buffer.to_vec());
        k += 1;
    }
    assert_eq!(k, recorded);
    assert!(
        distinct.len() > recorded / 2,
        "the frames follow the recording: {} distinct of {recorded}",
        distinct.len()
    );
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}

#[test]
fn a_movie_ends_at_the_absorbed_state() {
    // 2D disks at phi = 0.3 under pairwise BRO absorb within a few dozen
    // iterations: of 1000 asked, the movie ends with the first frame that
    // shows the absorbed state.
    let scene = Scene {
        dim: 2,
        n: 200,
        phi: 0.3,
        seed: 3,
        scheme: absorb::sim::Scheme::BroPairwise { kick: 0.2 },
        ..Scene::default()
    };
    let mut absorbed = scene.simulation().unwrap();
    while absorbed.absorbed_at().is_none() {
        absorbed.step();
    }
    let iterations = absorbed.iteration();
    let dir = temp("absorbs", "frames");
    let mut o = options(Output::Folder(dir.clone()));
    (o.scene, o.steps, o.every) = (scene, 1000, 5);
    let frames = film(&o).unwrap();
    assert_eq!(frames, iterations.div_ceil(5) + 1, "the start, then every 5th up to absorption ({iterations})");
    assert!(frames < o.frames());
    assert_eq!(pngs(&dir).len() as u64, frames);
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}
