using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>A disk whose next fsync of the log fails once, as a failing disk's would (EIO); the others reach the disk.</summary>
internal sealed class FailingLogFsync : ILogFsync
{
    public bool FailNext { get; set; }

    public void Fsync(FileStream log)
    {
        if (FailNext)
        {
            FailNext = false;
            throw new IOException("EIO (simulated): the disk failed the fsync");
        }

        SystemLogFsync.Instance.Fsync(log);
    }
}
