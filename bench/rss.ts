import { readFileSync } from 'node:fs'

/**
 * Peak resident memory of this process in MB: VmHWM from /proc/self/status where there is one. Not
 * getrusage's maxRSS: Linux keeps that across fork + exec, so a child started by a big parent (a bench
 * that just generated 100 MB layouts) would report the parent's peak as its own.
 */
export function peakRssMB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
    if (m) return Number(m[1]) / 1024
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024
}

/** The same for KLayout's Python: a function definition to put at the top of a pya script. */
export const PY_PEAK_RSS = `
def peak_rss_mb():
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
`
