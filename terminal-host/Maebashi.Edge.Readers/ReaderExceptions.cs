namespace Maebashi.Edge.Readers;

/// <summary>The reader failed: its bus, its chip, or the driver did not answer as a working reader does.</summary>
public sealed class ReaderIOException : IOException
{
    public ReaderIOException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>The card failed: it left the field mid-read, answered wrongly, or is not a card this reader accepts.</summary>
public sealed class CardIOException : IOException
{
    public CardIOException(string message, Exception? inner = null, bool rejected = false)
        : base(message, inner)
    {
        Rejected = rejected;
    }

    /// <summary>The card answered, but is not one this reader accepts (reading it again will not help).</summary>
    public bool Rejected { get; }
}
