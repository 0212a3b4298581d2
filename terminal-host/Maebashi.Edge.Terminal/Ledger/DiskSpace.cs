namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>Free space where the ledger lives; a seam so a full disk can be tested.</summary>
public interface IDiskSpace
{
    /// <summary>Free bytes available to this process at the path, or null if unknown.</summary>
    long? FreeBytes(string path);
}

public sealed class DriveDiskSpace : IDiskSpace
{
    public static DriveDiskSpace Instance { get; } = new();

    public long? FreeBytes(string path)
    {
        try
        {
            return new DriveInfo(Path.GetFullPath(path)).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
