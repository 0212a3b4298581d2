using System.CommandLine;
using System.Text;
using Maebashi.Edge.Ingest.Http;

namespace Maebashi.Edge.Cli;

/// <summary>
/// <c>operators add|passwd --file F --name N</c>: console passwords in the operators file, hashed
/// (<see cref="PasswordHash"/>). The password is read from the terminal without echo, or from standard input when
/// it is redirected; never from the command line, where other users see it in the process list.
/// </summary>
internal static class OperatorCommands
{
    /// <summary>OWASP's minimum for a password that is not the only factor is 8; a shared reception PC deserves more.</summary>
    private const int MinPasswordLength = 10;

    public static void AddTo(RootCommand root)
    {
        var file = new Option<string>("--file") { Description = "operators file (docs/contract.md §6)", Required = true };
        var name = new Option<string>("--name") { Description = "the operator's sign-in name", Required = true };
        var scope = new Option<string>("--scope") { Description = "transport, welfare, clinic:<clinicId> or admin", Required = true };

        var add = new Command("add", "add an operator with a console password (asked for, or read from stdin)") { file, name, scope };
        add.SetAction(parse => Change(parse.GetValue(file)!, parse.GetValue(name)!, (path, n) =>
        {
            // Checked before asking, so a typo in the scope does not cost a password prompt.
            string s = parse.GetValue(scope)!;
            if (OperatorsFile.ScopeProblem(s, registry: null) is { } why)
            {
                throw new OperatorsFileException($"--scope: {why}");
            }

            OperatorsFileEditor.Add(path, n, s, PasswordHash.Hash(ReadPassword()));
            return $"{path}: added operator '{n}' ({s})";
        }));

        var passwd = new Command("passwd", "set an operator's console password (asked for, or read from stdin)") { file, name };
        passwd.SetAction(parse => Change(parse.GetValue(file)!, parse.GetValue(name)!, (path, n) =>
        {
            if (!OperatorsFileEditor.Has(path, n))
            {
                throw new OperatorsFileException($"{path}: no operator named '{n}'");
            }

            OperatorsFileEditor.SetPassword(path, n, PasswordHash.Hash(ReadPassword()));
            return $"{path}: password of '{n}' set";
        }));

        root.Subcommands.Add(new Command("operators", "operators of the ingest's API and console (the operators file)") { add, passwd });
    }

    private static int Change(string path, string name, Func<string, string, string> change)
    {
        try
        {
            Console.Out.WriteLine(change(path, name));
            Console.Out.WriteLine("the ingest reads the file at start: start (or restart) a worker with it to apply it to every worker of its store");
            return ExitCodes.Ok;
        }
        catch (OperatorsFileException e)
        {
            Console.Error.WriteLine($"maebashi-edge: {e.Message}");
            return ExitCodes.Usage;
        }
    }

    /// <exception cref="OperatorsFileException">No password, a short or long one, or the two typed differ.</exception>
    private static string ReadPassword()
    {
        string password;
        if (Console.IsInputRedirected)
        {
            password = Console.In.ReadLine() ?? "";
        }
        else
        {
            password = Prompt("password: ");
            if (Prompt("again: ") != password)
            {
                throw new OperatorsFileException("the two passwords differ");
            }
        }

        if (password.Length < MinPasswordLength || password.Length > PasswordHash.MaxPasswordLength)
        {
            throw new OperatorsFileException($"password: expected {MinPasswordLength} to {PasswordHash.MaxPasswordLength} characters");
        }

        return password;
    }

    /// <summary>Reads a line from the terminal without echoing it (the prompt goes to stderr, stdout stays for results).</summary>
    private static string Prompt(string prompt)
    {
        Console.Error.Write(prompt);
        var typed = new StringBuilder();
        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Error.WriteLine();
                return typed.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                typed.Length = Math.Max(0, typed.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar) && typed.Length < PasswordHash.MaxPasswordLength + 1)
            {
                typed.Append(key.KeyChar);
            }
        }
    }
}
