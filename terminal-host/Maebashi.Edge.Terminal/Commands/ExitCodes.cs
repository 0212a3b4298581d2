namespace Maebashi.Edge.Terminal.Commands;

/// <summary>Exit codes of the terminal's verbs, the same as every other verb of maebashi-edge.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The input was read and found wrong (a configuration with problems, a failed doctor check).</summary>
    public const int Problems = 1;

    /// <summary>The verb could not run: bad arguments, unreadable file, an existing configuration without --force.</summary>
    public const int Usage = 2;
}
