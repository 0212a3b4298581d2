namespace Maebashi.Edge.Contract.Identity;

/// <summary>Uppercase hex without separators, the only way UIDs and keys are written (docs/contract.md §2).</summary>
public static class Hex
{
    /// <summary>Parses hex (either case). Returns false for odd length, empty input or a non-hex character.</summary>
    public static bool TryParse(string? text, out byte[] bytes)
    {
        bytes = [];
        if (string.IsNullOrEmpty(text) || text.Length % 2 != 0)
        {
            return false;
        }

        foreach (char c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        bytes = Convert.FromHexString(text);
        return true;
    }

    public static byte[] Parse(string text, string what) =>
        TryParse(text, out byte[] bytes)
            ? bytes
            : throw new FormatException($"{what}: expected an even number of hex digits, got {(string.IsNullOrEmpty(text) ? "nothing" : $"{text.Length} characters")}");

    public static string Format(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);

    /// <summary>Normalises a UID given in either case to uppercase hex; throws naming the problem.</summary>
    public static string NormaliseUid(string uid) => Format(Parse(uid, "uid"));
}
